using System.Security.Claims;
using System.Text.Json;
using Amebo.Platform.Actions;
using Amebo.Platform.Hosting;
using Amebo.Platform.Tokens;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Amebo.Platform.Events;

/// <summary>
/// One event to publish. <c>stream</c> overrides the stream read from the payload;
/// <c>expected_version</c> is the version the stream must be at (0: it must not exist yet);
/// <c>idempotency_key</c> is used by batch items (a single publish takes the Idempotency-Key header).
/// </summary>
public sealed record PublishEvent(string? Action, JsonElement Payload, string? Stream, long? ExpectedVersion, string? IdempotencyKey);

/// <summary>A checked publish, ready to go, or the problem that refuses it.</summary>
public sealed record PublishPlan(ProblemDetails Problem, PublishRequest? Request);

public static class PublishEventEndpoint
{
    public const string IdempotencyHeader = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";

    public static async Task<PublishPlan> LoadAsync(
        PublishEvent? request, [FromHeader(Name = IdempotencyHeader)] string? idempotencyKey, ClaimsPrincipal user,
        ActionCatalog catalog, IQuerySession session, AmeboSettings settings, CancellationToken ct)
    {
        var key = idempotencyKey ?? request?.IdempotencyKey;
        if (IdempotencyKeys.Problem(key) is { } keyProblem) return new PublishPlan(Problems.BadRequest(keyProblem), null);

        var caller = Caller.Of(user);
        var check = await EventCheck.RunAsync(request, "", caller, catalog, session, settings, ct);
        if (check.Admitted is null) return new PublishPlan(Problems.Of(check.Status, check.Detail, check.Errors), null);

        IdempotencyClaim[] claims = key is null ? [] : [new IdempotencyClaim(key, IdempotencyKeys.HashOf(request!), [0], "/idempotency_key")];
        return new PublishPlan(WolverineContinue.NoProblems, new PublishRequest(caller.Application, [check.Admitted], claims));
    }

    public static ProblemDetails Validate(PublishPlan plan) => plan.Problem;

    [WolverinePost("/v1/events", OperationId = "PublishEvent")]
    public static async Task<Results<Created<Data<EventReceipt>>, Ok<Data<EventReceipt>>, ProblemHttpResult>> Post(
        PublishEvent request, PublishPlan plan, Publisher publisher, HttpResponse response, CancellationToken ct)
    {
        var outcome = await publisher.PublishAsync(plan.Request!, ct);
        if (outcome.Problem is { } problem) return problem.ToResult();

        var receipt = outcome.Receipts[0];
        if (!outcome.Replayed) return TypedResults.Created($"/v1/events/{receipt.Rowid}", new Data<EventReceipt>(receipt));
        response.Headers[ReplayedHeader] = "true";
        return TypedResults.Ok(new Data<EventReceipt>(receipt));
    }
}
