using System.Globalization;
using Amebo.Platform.Events;
using Amebo.Platform.Hosting;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Amebo.Platform.Streams;

/// <summary>A stream with its current version and a page of its events in version order.</summary>
public sealed record StreamView(string Stream, long Version, IReadOnlyList<StoredEvent> Events);

public sealed record StreamPage(StreamView Data, PageMeta Meta);

/// <summary>The current version of a stream that exists.</summary>
public sealed record StreamHead(long Version);

public static class GetStreamEndpoint
{
    public static async Task<StreamHead?> LoadAsync(string stream, EventReader events, CancellationToken ct) =>
        stream.Length is > 0 and <= EventCheck.MaxStreamLength && await events.StreamVersionAsync(stream, ct) is { } version
            ? new StreamHead(version)
            : null;

    public static ProblemDetails Validate(string stream, StreamHead? head, [FromQuery(Name = "from_version")] long? fromVersion, int? limit)
    {
        if (fromVersion is < 1) return Problems.BadRequest("from_version must be 1 or more.");
        if (Paging.Check(limit) is var problem && !ReferenceEquals(problem, WolverineContinue.NoProblems)) return problem;
        return head is null ? Problems.NotFound($"No stream named '{stream}' exists.") : WolverineContinue.NoProblems;
    }

    [WolverineGet("/v1/streams/{stream}", OperationId = "GetStream")]
    public static async Task<StreamPage> Get(
        string stream, StreamHead head, [FromQuery(Name = "from_version")] long? fromVersion, int? limit, EventReader events, CancellationToken ct)
    {
        var take = limit ?? Paging.DefaultLimit;
        var rows = await events.StreamEventsAsync(stream, fromVersion ?? 1, take + 1, ct);
        var page = Paging.From(rows, take, e => (e.Version + 1).ToString(CultureInfo.InvariantCulture));
        return new StreamPage(new StreamView(stream, head.Version, page.Data), page.Meta);
    }
}
