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
