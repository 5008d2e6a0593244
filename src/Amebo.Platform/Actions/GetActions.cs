using Amebo.Platform.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Amebo.Platform.Actions;

public static class GetActionsEndpoint
{
    public static ProblemDetails Validate(int? limit) => Paging.Check(limit);

    [WolverineGet("/v1/actions", OperationId = "ListActions")]
    public static async Task<Page<ActionView>> Get(string? after, int? limit, IQuerySession session, CancellationToken ct)
    {
        var take = limit ?? Paging.DefaultLimit;
        var rows = await session.QueryAsync<ActionDefinition>(
            "where d.id > ? order by d.id limit ?", ct, after ?? "", take + 1);
        return Paging.From(rows.Select(ActionView.From).ToList(), take, x => x.Action);
    }
}

public static class GetActionEndpoint
{
    public static async Task<ActionDefinition?> LoadAsync(string action, IQuerySession session, CancellationToken ct) =>
        ActionNames.IsValid(action) ? await session.LoadAsync<ActionDefinition>(action, ct) : null;

    public static ProblemDetails Validate(string action, ActionDefinition? found) =>
        found is null ? Problems.NotFound($"No action named '{action}' is registered.") : WolverineContinue.NoProblems;

    [WolverineGet("/v1/actions/{action}", OperationId = "GetAction")]
    public static Data<ActionView> Get(ActionDefinition found) => new(ActionView.From(found));
}

/// <summary>An action's schema history, oldest first; every version stays readable for as long as the action exists.</summary>
public static class GetActionVersionsEndpoint
{
    public static Task<ActionDefinition?> LoadAsync(string action, IQuerySession session, CancellationToken ct) => GetActionEndpoint.LoadAsync(action, session, ct);

    public static ProblemDetails Validate(string action, int? limit, ActionDefinition? found) =>
        found is null ? GetActionEndpoint.Validate(action, found) : Paging.Check(limit);

    /// <param name="after">a version number: the page starts after it</param>
    [WolverineGet("/v1/actions/{action}/versions", OperationId = "ListActionVersions")]
    public static async Task<Page<ActionView>> Get(ActionDefinition found, int? after, int? limit, IQuerySession session, CancellationToken ct)
    {
        var take = limit ?? Paging.DefaultLimit;
        var history = await SchemaEvolution.HistoryAsync(found, session, ct);
        var rows = history.Where(v => v.Version > (after ?? 0)).Take(take + 1).Select(ActionView.From).ToList();
        return Paging.From(rows, take, v => v.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

public static class GetActionVersionEndpoint
{
    public static async Task<(ActionDefinition?, ActionVersion?)> LoadAsync(string action, int n, IQuerySession session, CancellationToken ct)
    {
        var found = await GetActionEndpoint.LoadAsync(action, session, ct);
        if (found is null) return (null, null);
        var version = await session.LoadAsync<ActionVersion>(ActionVersion.IdOf(action, n), ct);
        return (found, version ?? (n == found.Version ? found.ToVersion() : null));
    }

    public static ProblemDetails Validate(string action, int n, ActionDefinition? found, ActionVersion? version) =>
        found is null ? GetActionEndpoint.Validate(action, found)
        : version is null ? Problems.NotFound($"Action '{action}' has no version {n}; its versions are 1 to {found.Version}.")
        : WolverineContinue.NoProblems;

    [WolverineGet("/v1/actions/{action}/versions/{n}", OperationId = "GetActionVersion")]
    public static Data<ActionView> Get(ActionVersion version) => new(ActionView.From(version));
}
