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
/// <c>expected_version</c> is the version the stream must be at (0: it must not exist yet).
/// </summary>
public sealed record PublishEvent(string? Action, JsonElement Payload, string? Stream, long? ExpectedVersion);

public static class PublishEventEndpoint
{
    public static ValueTask<EventCheckResult> LoadAsync(
        PublishEvent? request, ClaimsPrincipal user, ActionCatalog catalog, IQuerySession session, AmeboSettings settings, CancellationToken ct) =>
        EventCheck.RunAsync(request, "", Caller.Of(user), catalog, session, settings, ct);

    public static ProblemDetails Validate(EventCheckResult check) =>
        check.Admitted is not null ? WolverineContinue.NoProblems : Problems.Of(check.Status, check.Detail, check.Errors);

    [WolverinePost("/v1/events", OperationId = "PublishEvent")]
    public static async Task<Results<Created<Data<EventReceipt>>, ProblemHttpResult>> Post(PublishEvent request, EventCheckResult check, EventAppender appender, TimeProvider clock, CancellationToken ct)
    {
        var admitted = check.Admitted!;
        var result = await appender.AppendAsync([admitted], clock.GetUtcNow(), ct);
        if (result.Conflict is { } conflict) return Problems.VersionConflict(conflict).ToResult();
        var receipt = EventReceipt.From(result.Stored[0], admitted);
        return TypedResults.Created($"/v1/events/{receipt.Rowid}", new Data<EventReceipt>(receipt));
    }
}
