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

/// <summary>One event to publish. <c>stream</c> overrides the stream read from the payload.</summary>
public sealed record PublishEvent(string? Action, JsonElement Payload, string? Stream);

public static class PublishEventEndpoint
{
    public static ValueTask<EventCheckResult> LoadAsync(
        PublishEvent? request, ClaimsPrincipal user, ActionCatalog catalog, IQuerySession session, AmeboSettings settings, CancellationToken ct) =>
        EventCheck.RunAsync(request, "", Caller.Of(user), catalog, session, settings, ct);

    public static ProblemDetails Validate(EventCheckResult check) =>
        check.Admitted is not null ? WolverineContinue.NoProblems : Problems.Of(check.Status, check.Detail, check.Errors);

    [WolverinePost("/v1/events", OperationId = "PublishEvent")]
    public static async Task<Created<Data<EventReceipt>>> Post(PublishEvent request, EventCheckResult check, EventAppender appender, TimeProvider clock, CancellationToken ct)
    {
        var admitted = check.Admitted!;
        var stored = await appender.AppendAsync([admitted], clock.GetUtcNow(), ct);
        var receipt = EventReceipt.From(stored[0], admitted);
        return TypedResults.Created($"/v1/events/{receipt.Rowid}", new Data<EventReceipt>(receipt));
    }
}
