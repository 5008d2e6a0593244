using System.Security.Claims;
using Amebo.Platform.Hosting;
using Amebo.Platform.Tokens;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Amebo.Platform.Subscriptions;

public sealed record UpdateSubscription(bool? Paused, int? MaxRetries, string? Description);

public sealed record ReplaySubscription(long? After, long? Until);

public sealed record ReplayView(string Subscription, int Gists);

/// <summary>The subscription a request names, when the caller may manage it; or the problem.</summary>
public sealed record SubscriptionAccess(ProblemDetails Problem, Subscription? Subscription)
{
    public static async Task<SubscriptionAccess> CheckAsync(string id, ClaimsPrincipal user, bool manage, IQuerySession session, CancellationToken ct)
    {
        var found = id.Length <= 64 ? await session.LoadAsync<Subscription>(id, ct) : null;
        if (found is null) return new(Problems.NotFound($"No subscription '{id}' exists."), null);
        var caller = Caller.Of(user);
        return manage && !caller.ActsFor(found.Application)
            ? new(Problems.Of(403, $"Subscription '{id}' belongs to '{found.Application}'; the token of '{caller.Application}' may not change it."), null)
            : new(WolverineContinue.NoProblems, found);
    }
}

public static class GetSubscriptionsEndpoint
{
    public static ProblemDetails Validate(int? limit) => Paging.Check(limit);

    [WolverineGet("/v1/subscriptions", OperationId = "ListSubscriptions")]
    public static async Task<Page<SubscriptionView>> Get(string? application, string? action, string? after, int? limit, IQuerySession session, CancellationToken ct)
    {
        var take = limit ?? Paging.DefaultLimit;
        var rows = await session.QueryAsync<Subscription>(
            "where d.id > ? and (? = '' or d.data->>'application' = ?) and (? = '' or d.data->>'action' = ?) order by d.id limit ?",
            ct, after ?? "", application ?? "", application ?? "", action ?? "", action ?? "", take + 1);
        return Paging.From(rows.Select(SubscriptionView.From).ToList(), take, s => s.Subscription);
    }
}

public static class GetSubscriptionEndpoint
{
    public static Task<SubscriptionAccess> LoadAsync(string id, ClaimsPrincipal user, IQuerySession session, CancellationToken ct) =>
        SubscriptionAccess.CheckAsync(id, user, manage: false, session, ct);

    public static ProblemDetails Validate(SubscriptionAccess access) => access.Problem;

    [WolverineGet("/v1/subscriptions/{id}", OperationId = "GetSubscription")]
    public static Data<SubscriptionView> Get([NotBody] SubscriptionAccess access) => new(SubscriptionView.From(access.Subscription!));
}

public static class UpdateSubscriptionEndpoint
{
    public static async Task<SubscriptionAccess> LoadAsync(string id, UpdateSubscription? request, ClaimsPrincipal user, IQuerySession session, CancellationToken ct)
    {
        if (request is null || (request.Paused is null && request.MaxRetries is null && request.Description is null))
        {
            return new(Problems.BadRequest("Send paused, max_retries and/or description."), null);
        }
        if (request.MaxRetries is < 0 or > CreateSubscriptionEndpoint.MaxRetriesLimit)
        {
            return new(Problems.BadRequest($"max_retries must be 0 to {CreateSubscriptionEndpoint.MaxRetriesLimit}.", [new("/max_retries", "out of range", "maximum")]), null);
        }
        return await SubscriptionAccess.CheckAsync(id, user, manage: true, session, ct);
    }

    public static ProblemDetails Validate(SubscriptionAccess access) => access.Problem;

    [WolverinePut("/v1/subscriptions/{id}", OperationId = "UpdateSubscription")]
    public static async Task<Data<SubscriptionView>> Put(
        UpdateSubscription request, [NotBody] SubscriptionAccess access, IDocumentSession session, SubscriptionCatalog catalog, Deliverer deliverer, CancellationToken ct)
    {
        var subscription = access.Subscription!;
        if (request.Paused is { } paused) subscription.Paused = paused;
        if (request.MaxRetries is { } retries) subscription.MaxRetries = retries;
        if (request.Description is not null) subscription.Description = request.Description;
        session.Store(subscription);
        await session.SaveChangesAsync(ct);
        catalog.Changed(subscription.Action);
        if (!subscription.Paused) deliverer.Nudge();
        return new Data<SubscriptionView>(SubscriptionView.From(subscription));
    }
}

public static class DeleteSubscriptionEndpoint
{
    public static Task<SubscriptionAccess> LoadAsync(string id, ClaimsPrincipal user, IQuerySession session, CancellationToken ct) =>
        SubscriptionAccess.CheckAsync(id, user, manage: true, session, ct);

    public static ProblemDetails Validate(SubscriptionAccess access) => access.Problem;

    /// <summary>204; its pending gists are failed at their next attempt ("the subscription was deleted").</summary>
    [WolverineDelete("/v1/subscriptions/{id}", OperationId = "DeleteSubscription")]
    public static async Task<NoContent> Delete([NotBody] SubscriptionAccess access, IDocumentSession session, SubscriptionCatalog catalog, CancellationToken ct)
    {
        session.Delete(access.Subscription!);
        await session.SaveChangesAsync(ct);
        catalog.Changed(access.Subscription!.Action);
        return TypedResults.NoContent();
    }
}

public static class ReplaySubscriptionEndpoint
{
    public static async Task<SubscriptionAccess> LoadAsync(string id, ReplaySubscription? request, ClaimsPrincipal user, IQuerySession session, CancellationToken ct)
    {
        if (request is { After: < 0 } or { Until: < 0 } || (request?.Until is { } until && until < (request.After ?? 0)))
        {
            return new(Problems.BadRequest("after and until are rowids (0 or more), with until not before after."), null);
        }
        return await SubscriptionAccess.CheckAsync(id, user, manage: true, session, ct);
    }

    public static ProblemDetails Validate(SubscriptionAccess access) => access.Problem;

    /// <summary>202: the subscribed action's stored events in (after, until] become new gists, delivered in rowid order.</summary>
    [WolverinePost("/v1/subscriptions/{id}/replay", OperationId = "ReplaySubscription")]
    public static async Task<Accepted<Data<ReplayView>>> Post(ReplaySubscription? request, [NotBody] SubscriptionAccess access, Gists gists, Deliverer deliverer, CancellationToken ct)
    {
        var subscription = access.Subscription!;
        var count = await gists.ReplayAsync(subscription, request?.After ?? 0, request?.Until, ct);
        deliverer.Nudge();
        return TypedResults.Accepted($"/v1/gists?subscription={subscription.Id}", new Data<ReplayView>(new ReplayView(subscription.Id, count)));
    }
}

public static class GetGistsEndpoint
{
    public static ProblemDetails Validate(string? status, string? after, int? limit) =>
        status is not (null or "pending" or "delivered" or "failed") ? Problems.BadRequest("status must be pending, delivered or failed.")
        : after is not null && !Guid.TryParse(after, out _) ? Problems.BadRequest("after must be a gist id.")
        : Paging.Check(limit);

    [WolverineGet("/v1/gists", OperationId = "ListGists")]
    public static async Task<Page<GistView>> Get(string? subscription, string? status, string? after, int? limit, Gists gists, CancellationToken ct)
    {
        var take = limit ?? Paging.DefaultLimit;
        var rows = await gists.ListAsync(subscription, status, null, after is null ? null : Guid.Parse(after), take + 1, ct);
        return Paging.From(rows, take, g => g.Gist.ToString());
    }
}

public static class RetryGistEndpoint
{
    public static async Task<SubscriptionAccess> LoadAsync(string id, ClaimsPrincipal user, Gists gists, IQuerySession session, CancellationToken ct)
    {
        var gist = Guid.TryParse(id, out var gistId) ? await gists.FindAsync(gistId, ct) : null;
        if (gist is null) return new(Problems.NotFound($"No gist '{id}' exists."), null);
        return await SubscriptionAccess.CheckAsync(gist.Subscription, user, manage: true, session, ct);
    }

    public static ProblemDetails Validate(SubscriptionAccess access) => access.Problem;

    /// <summary>202: the gist is pending again, due now, with the subscription's retries to spend; 409 if it is pending already.</summary>
    [WolverinePost("/v1/gists/{id}/retry", OperationId = "RetryGist")]
    public static async Task<Results<Accepted<Data<GistView>>, ProblemHttpResult>> Post(string id, [NotBody] SubscriptionAccess access, Gists gists, Deliverer deliverer, CancellationToken ct)
    {
        var gistId = Guid.Parse(id);
        if (!await gists.RetryAsync(gistId, access.Subscription!.MaxRetries + 1, ct))
        {
            return Problems.Conflict($"Gist '{id}' is already pending.").ToResult();
        }
        deliverer.Nudge();
        return TypedResults.Accepted($"/v1/gists?subscription={access.Subscription.Id}", new Data<GistView>((await gists.FindAsync(gistId, ct))!));
    }
}
