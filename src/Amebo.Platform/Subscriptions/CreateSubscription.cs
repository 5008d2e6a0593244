using System.Security.Claims;
using Amebo.Platform.Actions;
using Amebo.Platform.Applications;
using Amebo.Platform.Hosting;
using Amebo.Platform.Tokens;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Amebo.Platform.Subscriptions;

/// <summary>A subscription to create: <c>handler</c> is a path appended to the application's address, or a full URL.</summary>
public sealed record CreateSubscription(string? Application, string? Action, string? Handler, int? MaxRetries, string? Description);

/// <summary>A checked subscription, ready to store, or the problem that refuses it.</summary>
public sealed record SubscriptionPlan(ProblemDetails Problem, string? Endpoint);

public static class CreateSubscriptionEndpoint
{
    public const int MaxRetriesLimit = 50;

    public static async Task<SubscriptionPlan> LoadAsync(CreateSubscription? request, ClaimsPrincipal user, IQuerySession session, CancellationToken ct)
    {
        if (request is null) return Refused(Problems.BadRequest("The body must be a JSON object."));
        var errors = new List<ProblemError>();
        if (!ApplicationNames.IsValid(request.Application)) errors.Add(new("/application", "application must name a registered application.", "pattern"));
        if (!ActionNames.IsValid(request.Action)) errors.Add(new("/action", "action must name a registered action.", "pattern"));
        if (string.IsNullOrWhiteSpace(request.Handler) || request.Handler.Length > 2048) errors.Add(new("/handler", "handler must be a path such as /hooks/user-created, or a full URL.", "required"));
        if (request.MaxRetries is < 0 or > MaxRetriesLimit) errors.Add(new("/max_retries", $"max_retries must be 0 to {MaxRetriesLimit}.", "maximum"));
        if (request.Description is { Length: > 500 }) errors.Add(new("/description", "description must be at most 500 characters.", "maxLength"));
        if (errors.Count > 0) return Refused(Problems.BadRequest("The subscription is invalid.", errors));

        var caller = Caller.Of(user);
        if (!caller.ActsFor(request.Application!))
        {
            return Refused(Problems.Of(403, $"The token of '{caller.Application}' may subscribe '{caller.Application}' only."));
        }

        var application = await session.LoadAsync<Application>(request.Application!, ct);
        if (application is null) return Refused(Problems.NotFound($"No application named '{request.Application}' is registered."));
        if (await session.LoadAsync<ActionDefinition>(request.Action!, ct) is null) return Refused(Problems.NotFound($"No action named '{request.Action}' is registered."));

        var endpoint = Resolve(application.Address, request.Handler!);
        return endpoint is null
            ? Refused(Problems.BadRequest("handler must be a path such as /hooks/user-created, or an absolute http or https URL.",
                [new("/handler", "not a path or an http(s) URL", "format")]))
            : new SubscriptionPlan(WolverineContinue.NoProblems, endpoint);
    }

    public static ProblemDetails Validate(SubscriptionPlan plan) => plan.Problem;

    [WolverinePost("/v1/subscriptions", OperationId = "CreateSubscription")]
    public static async Task<Created<Data<CreatedSubscriptionView>>> Post(
        CreateSubscription request, SubscriptionPlan plan, IDocumentSession session, SubscriptionCatalog catalog, TimeProvider clock, CancellationToken ct)
    {
        var subscription = new Subscription
        {
            Id = Guid.CreateVersion7().ToString(),
            Application = request.Application!,
            Action = request.Action!,
            Endpoint = plan.Endpoint!,
            MaxRetries = request.MaxRetries ?? 8,
            Description = request.Description,
            SigningSecret = WebhookSignature.NewSecret(),
            CreatedAt = clock.GetUtcNow(),
        };
        session.Insert(subscription);
        await session.SaveChangesAsync(ct);
        catalog.Changed(subscription.Action);
        return TypedResults.Created($"/v1/subscriptions/{subscription.Id}", new Data<CreatedSubscriptionView>(new CreatedSubscriptionView(
            subscription.Id, subscription.Application, subscription.Action, subscription.Endpoint, subscription.MaxRetries,
            subscription.Description, subscription.Paused, subscription.SigningSecret, subscription.CreatedAt)));
    }

    /// <summary>A path is appended to the application's address; a full URL is taken as it is.</summary>
    private static string? Resolve(string address, string handler)
    {
        if (handler.StartsWith('/')) return address.TrimEnd('/') + handler;
        return ApplicationNames.IsValidAddress(handler) ? handler : null;
    }

    private static SubscriptionPlan Refused(ProblemDetails problem) => new(problem, null);
}
