using System.Security.Claims;
using Amebo.Platform.Actions;
using Amebo.Platform.Hosting;
using Amebo.Platform.Tokens;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Amebo.Platform.Events;

public sealed record PublishBatch(List<PublishEvent?>? Events);

public static class PublishBatchEndpoint
{
    public static async Task<PublishPlan> LoadAsync(
        PublishBatch? request, [FromHeader(Name = PublishEventEndpoint.IdempotencyHeader)] string? idempotencyKey, ClaimsPrincipal user,
        ActionCatalog catalog, IQuerySession session, AmeboSettings settings, CancellationToken ct)
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
        if (IdempotencyKeys.Problem(idempotencyKey) is { } headerProblem) return Refused(Problems.BadRequest(headerProblem));

        // Every item is checked so that one answer lists every failure; the worst status wins.
        var admitted = new List<AdmittedEvent>(events.Count);
        var claims = new List<IdempotencyClaim>();
        if (idempotencyKey is not null)
        {
            claims.Add(new IdempotencyClaim(idempotencyKey, IdempotencyKeys.HashOf(events), Enumerable.Range(0, events.Count).ToList(), "/"));
        }
        var errors = new List<ProblemError>();
        var status = 0;
        for (var i = 0; i < events.Count; i++)
        {
            var check = await EventCheck.RunAsync(events[i], $"/events/{i}", caller, catalog, session, settings, ct);
            if (check.Admitted is null)
            {
                errors.AddRange(check.Errors);
                status = Math.Max(status, Rank(check.Status));
                continue;
            }
            admitted.Add(check.Admitted);
            if (events[i]!.IdempotencyKey is not { } itemKey) continue;
            var itemProblem = IdempotencyKeys.Problem(itemKey) ?? (claims.Any(c => c.Key == itemKey) ? "the key is used twice in this request" : null);
            if (itemProblem is not null)
            {
                errors.Add(new($"/events/{i}/idempotency_key", itemProblem, "idempotency_key"));
                status = Math.Max(status, Rank(400));
                continue;
            }
            claims.Add(new IdempotencyClaim(itemKey, IdempotencyKeys.HashOf(events[i]!), [i], $"/events/{i}/idempotency_key"));
        }

        if (errors.Count == 0) return new PublishPlan(WolverineContinue.NoProblems, new PublishRequest(caller.Application, admitted, claims));
        var failed = errors.Select(e => e.Pointer.Split('/')[2]).Distinct().Count();
        return Refused(status switch
        {
            4 => Problems.BadRequest($"{failed} of {events.Count} events are malformed; nothing was stored.", errors),
            3 => Problems.Of(403, $"The token of '{caller.Application}' may not publish every action in the batch; nothing was stored.", errors),
            2 => Problems.Of(413, $"{failed} of {events.Count} payloads are larger than AMEBO_ENVELOPE allows; nothing was stored.", errors),
            _ => Problems.Unprocessable($"{failed} of {events.Count} events were refused; nothing was stored.", errors),
        });
    }

    public static ProblemDetails Validate(PublishPlan plan) => plan.Problem;

    [WolverinePost("/v1/events/batch", OperationId = "PublishBatch")]
    public static async Task<Results<Created<Data<IReadOnlyList<EventReceipt>>>, Ok<Data<IReadOnlyList<EventReceipt>>>, ProblemHttpResult>> Post(
        PublishBatch request, PublishPlan plan, Publisher publisher, HttpResponse response, CancellationToken ct)
    {
        var outcome = await publisher.PublishAsync(plan.Request!, ct);
        if (outcome.Problem is { } problem) return problem.ToResult();

        var data = new Data<IReadOnlyList<EventReceipt>>(outcome.Receipts);
        if (!outcome.Replayed) return TypedResults.Created((string?)null, data);
        response.Headers[PublishEventEndpoint.ReplayedHeader] = "true";
        return TypedResults.Ok(data);
    }

    // A malformed item outranks a foreign action, then an oversized payload, then unknown actions and schema violations (422).
    private static int Rank(int status) => status switch { 400 => 4, 403 => 3, 413 => 2, _ => 1 };

    private static PublishPlan Refused(ProblemDetails problem) => new(problem, null);
}
