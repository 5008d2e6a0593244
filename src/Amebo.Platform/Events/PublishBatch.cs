using Amebo.Platform.Actions;
using System.Security.Claims;
using Amebo.Platform.Hosting;
using Amebo.Platform.Tokens;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Amebo.Platform.Events;

public sealed record PublishBatch(List<PublishEvent?>? Events);

/// <summary>A checked batch: every event admitted, or the problem that refuses the whole batch.</summary>
public sealed record BatchCheckResult(ProblemDetails Problem, IReadOnlyList<AdmittedEvent> Admitted);

public static class PublishBatchEndpoint
{
    public static async Task<BatchCheckResult> LoadAsync(
        PublishBatch? request, ClaimsPrincipal user, ActionCatalog catalog, IQuerySession session, AmeboSettings settings, CancellationToken ct)
    {
        var caller = Caller.Of(user);
        if (request?.Events is not { Count: > 0 } events)
        {
            return Refused(Problems.BadRequest("events must be a non-empty array of events.",
                [new("/events", "events must be a non-empty array", "minItems")]));
        }
        if (events.Count > settings.BatchLimit)
        {
            return Refused(Problems.TooLarge($"The batch holds {events.Count} events; AMEBO_BATCH_LIMIT allows at most {settings.BatchLimit}."));
        }

        // Every item is checked so that one answer lists every failure; the worst status wins.
        var admitted = new List<AdmittedEvent>(events.Count);
        var errors = new List<ProblemError>();
        var status = 0;
        for (var i = 0; i < events.Count; i++)
        {
            var check = await EventCheck.RunAsync(events[i], $"/events/{i}", caller, catalog, session, settings, ct);
            if (check.Admitted is not null)
            {
                admitted.Add(check.Admitted);
                continue;
            }
            errors.AddRange(check.Errors);
            status = Math.Max(status, Rank(check.Status));
        }

        if (errors.Count == 0) return new BatchCheckResult(WolverineContinue.NoProblems, admitted);
        var failed = errors.Select(e => e.Pointer.Split('/')[2]).Distinct().Count();
        return Refused(status switch
        {
            4 => Problems.BadRequest($"{failed} of {events.Count} events are malformed; nothing was stored.", errors),
            3 => Problems.Of(403, $"The token of '{caller.Application}' may not publish every action in the batch; nothing was stored.", errors),
            2 => Problems.Of(413, $"{failed} of {events.Count} payloads are larger than AMEBO_ENVELOPE allows; nothing was stored.", errors),
            _ => Problems.Unprocessable($"{failed} of {events.Count} events were refused; nothing was stored.", errors),
        });
    }

    public static ProblemDetails Validate(BatchCheckResult check) => check.Problem;

    [WolverinePost("/v1/events/batch", OperationId = "PublishBatch")]
    public static async Task<Results<Created<Data<List<EventReceipt>>>, ProblemHttpResult>> Post(PublishBatch request, BatchCheckResult check, EventAppender appender, TimeProvider clock, CancellationToken ct)
    {
        var result = await appender.AppendAsync(check.Admitted, clock.GetUtcNow(), ct);
        if (result.Conflict is { } conflict) return Problems.VersionConflict(conflict).ToResult();
        var receipts = result.Stored.Select((e, i) => EventReceipt.From(e, check.Admitted[i])).ToList();
        return TypedResults.Created((string?)null, new Data<List<EventReceipt>>(receipts));
    }

    // A malformed item outranks a foreign action, then an oversized payload, then unknown actions and schema violations (422).
    private static int Rank(int status) => status switch { 400 => 4, 403 => 3, 413 => 2, _ => 1 };

    private static BatchCheckResult Refused(ProblemDetails problem) => new(problem, []);
}
