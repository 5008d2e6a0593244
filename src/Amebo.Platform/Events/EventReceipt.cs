using JasperFx.Events;

namespace Amebo.Platform.Events;

/// <summary>What a publish answers for each stored event.</summary>
public sealed record EventReceipt(long Rowid, Guid Id, string Action, string Stream, long Version, int SchemaVersion, DateTimeOffset Timestamp)
{
    public static EventReceipt From(IEvent stored, AdmittedEvent admitted) => new(
        stored.Sequence, stored.Id, admitted.Action.Name, admitted.Stream, stored.Version,
        admitted.Action.Definition.Version, stored.Timestamp);

    public static EventReceipt From(StoredEvent stored) => new(
        stored.Rowid, stored.Id, stored.Action, stored.Stream, stored.Version, stored.SchemaVersion, stored.Timestamp);
}
