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

/// <summary>
/// An action's schema history. Every version stays readable; until schemas can change
/// (PUT /v1/actions/{action}), each action has exactly its first version.
/// </summary>
public static class GetActionVersionsEndpoint
{
    public static Task<ActionDefinition?> LoadAsync(string action, IQuerySession session, CancellationToken ct) => GetActionEndpoint.LoadAsync(action, session, ct);

    public static ProblemDetails Validate(string action, ActionDefinition? found) => GetActionEndpoint.Validate(action, found);

    [WolverineGet("/v1/actions/{action}/versions", OperationId = "ListActionVersions")]
    public static Page<ActionView> Get(ActionDefinition found) => new([ActionView.From(found)], new PageMeta(null));
}

public static class GetActionVersionEndpoint
{
    public static Task<ActionDefinition?> LoadAsync(string action, IQuerySession session, CancellationToken ct) => GetActionEndpoint.LoadAsync(action, session, ct);

    public static ProblemDetails Validate(string action, int n, ActionDefinition? found) =>
        found is null ? GetActionEndpoint.Validate(action, found)
        : n != found.Version ? Problems.NotFound($"Action '{action}' has no version {n}; its versions are 1 to {found.Version}.")
        : WolverineContinue.NoProblems;

    [WolverineGet("/v1/actions/{action}/versions/{n}", OperationId = "GetActionVersion")]
    public static Data<ActionView> Get(ActionDefinition found) => new(ActionView.From(found));
}
