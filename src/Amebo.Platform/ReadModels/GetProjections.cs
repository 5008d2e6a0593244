using System.Security.Claims;
using System.Text.Json.Nodes;
using Amebo.Platform.Hosting;
using Amebo.Platform.Tokens;
using Amebo.Projections;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Amebo.Platform.ReadModels;

/// <summary>A projection's documents page, with the projection's status (and rebuild progress) in <c>meta</c>.</summary>
public sealed record DocumentsMeta(string? Next, ProjectionStatus Projection);

public sealed record DocumentsPage(IReadOnlyList<JsonObject> Data, DocumentsMeta Meta);

/// <summary>The projection a read names, once it has caught up with <c>wait_for</c>; or the problem.</summary>
public sealed record ProjectionRead(ProblemDetails Problem, ProjectionDescriptor? Projection, ProjectionStatus? Status);

public static class ProjectionReads
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// Finds the projection and, with <c>wait_for</c>, waits (up to AMEBO_WAIT_TIMEOUT) until it has
    /// processed that position: read-your-writes for async projections.
    /// </summary>
    public static async Task<ProjectionRead> ResolveAsync(
        string name, long? waitFor, ProjectionReader reader, AmeboSettings settings, CancellationToken ct)
    {
        if (ProjectionReader.Find(name) is not { } projection)
        {
            return new ProjectionRead(Problems.NotFound($"No projection named '{name}' exists."), null, null);
        }
        if (waitFor is < 0) return new ProjectionRead(Problems.BadRequest("wait_for must be a rowid (0 or more)."), null, null);

        var status = await reader.StatusAsync(projection, ct);
        var deadline = DateTimeOffset.UtcNow + settings.WaitTimeout;
        while (waitFor > status.Position && status.Status != "rebuilding" && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(Poll, ct);
            status = await reader.StatusAsync(projection, ct);
        }
        if (waitFor > status.Position)
        {
            var problem = Problems.Conflict(
                $"Projection '{name}' has processed events up to rowid {status.Position}, not yet {waitFor}; try again shortly.");
            problem.Extensions["position"] = status.Position;
            return new ProjectionRead(problem, projection, status);
        }
        return new ProjectionRead(WolverineContinue.NoProblems, projection, status);
    }
}

public static class GetProjectionsEndpoint
{
    [WolverineGet("/v1/projections", OperationId = "ListProjections")]
    public static async Task<Page<ProjectionStatus>> Get(ProjectionReader reader, CancellationToken ct)
    {
        var statuses = new List<ProjectionStatus>();
        foreach (var projection in ProjectionsConfiguration.All) statuses.Add(await reader.StatusAsync(projection, ct));
        return new Page<ProjectionStatus>(statuses, new PageMeta(null));
    }
}

public static class GetProjectionDocumentEndpoint
{
    public static Task<ProjectionRead> LoadAsync(
        string name, [FromQuery(Name = "wait_for")] long? waitFor, ProjectionReader reader, AmeboSettings settings, CancellationToken ct) =>
        ProjectionReads.ResolveAsync(name, waitFor, reader, settings, ct);

    public static ProblemDetails Validate(ProjectionRead read) => read.Problem;

    [WolverineGet("/v1/projections/{name}/{id}", OperationId = "GetProjectionDocument")]
    public static async Task<Results<Ok<Data<JsonObject>>, ProblemHttpResult>> Get(string name, string id, ProjectionRead read, ProjectionReader reader, CancellationToken ct)
    {
        var document = await reader.DocumentAsync(read.Projection!, id, ct);
        return document is null
            ? Problems.NotFound($"Projection '{name}' has no document '{id}'.").ToResult()
            : TypedResults.Ok(new Data<JsonObject>(document));
    }
}

public static class GetProjectionDocumentsEndpoint
{
    private static readonly HashSet<string> Reserved = ["after", "limit", "wait_for"];

    public static async Task<ProjectionRead> LoadAsync(
        string name, [FromQuery(Name = "wait_for")] long? waitFor, int? limit, ProjectionReader reader, AmeboSettings settings, CancellationToken ct)
    {
        if (Paging.Check(limit) is var problem && !ReferenceEquals(problem, WolverineContinue.NoProblems)) return new ProjectionRead(problem, null, null);
        return await ProjectionReads.ResolveAsync(name, waitFor, reader, settings, ct);
    }

    public static ProblemDetails Validate(ProjectionRead read) => read.Problem;

    /// <summary>Every query parameter other than after, limit and wait_for filters on a top-level document field.</summary>
    [WolverineGet("/v1/projections/{name}", OperationId = "ListProjectionDocuments")]
    public static async Task<DocumentsPage> Get(string? after, int? limit, HttpRequest request, ProjectionRead read, ProjectionReader reader, CancellationToken ct)
    {
        var filters = request.Query
            .Where(q => !Reserved.Contains(q.Key))
            .Select(q => new KeyValuePair<string, string>(q.Key, q.Value.ToString()))
            .ToList();
        var take = limit ?? Paging.DefaultLimit;
        var rows = await reader.ListAsync(read.Projection!, filters, after, take + 1, ct);
        var page = Paging.From(rows, take, r => r.Key);
        return new DocumentsPage(page.Data.Select(r => r.Document).ToList(), new DocumentsMeta(page.Meta.Next, read.Status!));
    }
}

public static class RebuildProjectionEndpoint
{
    public static ProblemDetails Validate(string name, ClaimsPrincipal user)
    {
        if (!Caller.Of(user).IsAdministrator) return Problems.Of(403, "Only the administrator may rebuild projections.");
        return ProjectionReader.Find(name) is null ? Problems.NotFound($"No projection named '{name}' exists.") : WolverineContinue.NoProblems;
    }

    /// <summary>202 once the rebuild has started; progress shows in GET /v1/projections/{name}.</summary>
    [WolverinePost("/v1/projections/{name}/rebuild", OperationId = "RebuildProjection")]
    public static async Task<Results<Accepted<Data<ProjectionStatus>>, ProblemHttpResult>> Post(
        string name, Rebuilds rebuilds, ProjectionReader reader, IHostApplicationLifetime lifetime, CancellationToken ct)
    {
        var projection = ProjectionReader.Find(name)!;
        if (!rebuilds.TryStart(projection, lifetime.ApplicationStopping))
        {
            return Problems.Conflict($"Projection '{name}' is already being rebuilt; its progress shows in GET /v1/projections/{name}.").ToResult();
        }
        return TypedResults.Accepted($"/v1/projections/{name}", new Data<ProjectionStatus>(await reader.StatusAsync(projection, ct)));
    }
}
