using System.Text.Json;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace Amebo.Projections;

/// <summary>
/// The state of one <c>user</c> entity, folded from its stream: the payload fields it was created
/// and updated with, email verification and status. <see cref="Id"/> is the stream (<c>user:{id}</c>).
/// </summary>
public sealed class UserProfile
{
    public string Id { get; set; } = "";

    /// <summary>The stream version of the last event folded in (not named Version: Marten keeps that for its own revisions).</summary>
    public long StreamVersion { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public Dictionary<string, JsonElement> Fields { get; set; } = [];
}

/// <summary>
/// <c>user.created</c> copies the payload, <c>user.email_verified</c> sets <c>email_verified</c>
/// (and <c>email_verified_at</c> from <c>verified_at</c>), <c>user.profile_updated</c> merges the
/// payload, <c>user.status_changed</c> sets <c>status</c> to <c>new_status</c>. Only streams of the
/// <c>user</c> category are folded (their events are <see cref="UserEvent"/>s); other actions on
/// them change only the version and time.
/// The version is counted, not read from the event: appends let the database number events, so
/// an inline projection sees them before they have their number.
/// </summary>
public sealed class UserProfileProjection : SingleStreamProjection<UserProfile, string>
{
    public const string ProjectionName = "user-profiles";
    public const string Category = "user";

    public UserProfileProjection()
    {
        Name = ProjectionName;
        // Only user streams hold UserEvents: appends to other streams skip this projection, and a
        // rebuild replays only the user streams' events.
        IncludeType<UserEvent>();
        // Rebuilds read the store in pages this large: fewer round trips, larger upserts.
        Options.BatchSize = 5000;
        Options.MaximumHopperSize = 20000;
    }

    public override UserProfile? Evolve(UserProfile? snapshot, string id, IEvent e)
    {
        if (e.Data is not UserEvent published) return snapshot;

        var profile = snapshot ?? new UserProfile { Id = id };
        profile.StreamVersion++;
        profile.UpdatedAt = e.Timestamp;
        switch (published.Action)
        {
            case "user.created":
            case "user.profile_updated":
                Merge(profile, published.Payload);
                break;
            case "user.email_verified":
                profile.Fields["email_verified"] = JsonSerializer.SerializeToElement(true);
                if (published.Payload.ValueKind == JsonValueKind.Object && published.Payload.TryGetProperty("verified_at", out var at))
                {
                    profile.Fields["email_verified_at"] = at.Clone();
                }
                break;
            case "user.status_changed":
                if (published.Payload.ValueKind == JsonValueKind.Object && published.Payload.TryGetProperty("new_status", out var status))
                {
                    profile.Fields["status"] = status.Clone();
                }
                break;
        }
        return profile;
    }

    private static void Merge(UserProfile profile, JsonElement payload)
    {
        if (payload.ValueKind != JsonValueKind.Object) return;
        foreach (var field in payload.EnumerateObject()) profile.Fields[field.Name] = field.Value.Clone();
    }
}
