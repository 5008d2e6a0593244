using Amebo.Platform.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Amebo.Platform.Applications;

public static class GetApplicationsEndpoint
{
    public static ProblemDetails Validate(int? limit) => Paging.Check(limit);

    [WolverineGet("/v1/applications", OperationId = "ListApplications")]
    public static async Task<Page<ApplicationView>> Get(string? after, int? limit, IQuerySession session, CancellationToken ct)
    {
        var take = limit ?? Paging.DefaultLimit;
        var rows = await session.QueryAsync<Application>(
            "where d.id > ? order by d.id limit ?", ct, after ?? "", take + 1);
        return Paging.From(rows.Select(ApplicationView.From).ToList(), take, x => x.Application);
    }
}

public static class GetApplicationEndpoint
{
    public static async Task<ApplicationView?> LoadAsync(string application, IQuerySession session, CancellationToken ct) =>
        ApplicationNames.IsValid(application) && await session.LoadAsync<Application>(application, ct) is { } found
            ? ApplicationView.From(found)
            : null;

    public static ProblemDetails Validate(string application, ApplicationView? found) =>
        found is null ? Problems.NotFound($"No application named '{application}' is registered.") : WolverineContinue.NoProblems;

    [WolverineGet("/v1/applications/{application}", OperationId = "GetApplication")]
    public static Data<ApplicationView> Get(ApplicationView found) => new(found);
}
