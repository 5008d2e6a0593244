using System.Globalization;
using Amebo.Platform.Hosting;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Amebo.Platform.Events;

public static class GetEventsEndpoint
{
    public static ProblemDetails Validate(long? after, int? limit) =>
        after is < 0 ? Problems.BadRequest("after must be a rowid (0 or more).") : Paging.Check(limit);

    [WolverineGet("/v1/events", OperationId = "ListEvents")]
    public static async Task<Page<StoredEvent>> Get(string? action, string? stream, long? after, int? limit, EventReader events, CancellationToken ct)
    {
        var take = limit ?? Paging.DefaultLimit;
        var rows = await events.ListAsync(action, stream, after ?? 0, take + 1, ct);
        return Paging.From(rows, take, e => e.Rowid.ToString(CultureInfo.InvariantCulture));
    }
}

public static class GetEventEndpoint
{
    public static Task<StoredEvent?> LoadAsync(long rowid, EventReader events, CancellationToken ct) => events.FindAsync(rowid, ct);

    public static ProblemDetails Validate(long rowid, StoredEvent? found) =>
        found is null ? Problems.NotFound($"No event has rowid {rowid}.") : WolverineContinue.NoProblems;

    [WolverineGet("/v1/events/{rowid}", OperationId = "GetEvent")]
    public static Data<StoredEvent> Get(StoredEvent found) => new(found);
}
