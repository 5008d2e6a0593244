using System.Security.Claims;
using System.Text.Json;
using Amebo.Platform.Events;
using Amebo.Platform.Hosting;
using Json.Pointer;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Amebo.Platform.Actions;

/// <summary>A candidate schema to try against an action, and optionally the mode to judge it under.</summary>
public sealed record CheckAction(JsonElement Schemata, string? Compatibility);

public sealed record BreakingChange(string Pointer, string Message, string Keyword);

public sealed record SampleFailure(long Rowid, string Pointer, string Message);

/// <summary>How many of the action's latest stored payloads were checked, how many the candidate refuses, and a few of the refusals.</summary>
public sealed record SampleReport(int Limit, int Checked, int Failing, IReadOnlyList<SampleFailure> Examples);

/// <summary>The verdict of a dry run: what a PUT with the same body would do, and what it would do to stored payloads.</summary>
public sealed record CheckReport(
    string Action, int Version, string Compatibility, bool Compatible, bool Unchanged, IReadOnlyList<BreakingChange> Breaking, SampleReport Sample);

/// <summary>
/// A dry run of a schema change: the compatibility verdict PUT /v1/actions/{action} would reach, and
/// how many of the action's last AMEBO_CHECK_SAMPLE stored payloads the candidate would refuse.
/// Nothing is saved. Like every read, any valid token may ask.
/// </summary>
public static class CheckActionEndpoint
{
    private const int MaxExamples = 5;

    public static async Task<(ActionChange, IReadOnlyList<SchemaChange>)> LoadAsync(
        string action, CheckAction? request, ClaimsPrincipal user, IQuerySession session, CancellationToken ct)
    {
        if (request is null) return (new ActionChange(Problems.BadRequest("The body must be a JSON object."), null, [], null, null, false), []);
        return await SchemaEvolution.JudgeAsync(action, request.Schemata, request.Compatibility, mustOwn: false, user, session, ct);
    }

    public static ProblemDetails Validate(ActionChange change) => change.Problem;

    [WolverinePost("/v1/actions/{action}/check", OperationId = "CheckActionSchema")]
    public static async Task<Data<CheckReport>> Post(
        CheckAction request, [NotBody] ActionChange change, [NotBody] IReadOnlyList<SchemaChange> breaking, EventReader reader, AmeboSettings settings, CancellationToken ct)
    {
        var current = change.Current!;
        // Only the candidate's schema is used: payloads are checked against it, not the action's.
        var candidate = new CompiledAction(current, change.Schema!, JsonPointer.Parse(current.Stream));

        var stored = settings.CheckSample > 0 ? await reader.LatestAsync(current.Id, settings.CheckSample, ct) : [];
        var failing = 0;
        var examples = new List<SampleFailure>();
        foreach (var e in stored)
        {
            var violations = candidate.Violations(e.Payload, "/payload");
            if (violations.Count == 0) continue;
            failing++;
            if (examples.Count < MaxExamples) examples.Add(new SampleFailure(e.Rowid, violations[0].Pointer, violations[0].Message));
        }

        return new Data<CheckReport>(new CheckReport(
            current.Id, current.Version, change.Mode!.Name, breaking.Count == 0, change.Unchanged,
            breaking.Select(b => new BreakingChange(b.Pointer, b.Message, b.Keyword)).ToList(),
            new SampleReport(settings.CheckSample, stored.Count, failing, examples)));
    }
}
