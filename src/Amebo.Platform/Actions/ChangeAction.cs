using System.Security.Claims;
using System.Text.Json;
using Amebo.Platform.Hosting;
using Amebo.Platform.Tokens;
using JasperFx;
using Json.Pointer;
using Json.Schema;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Amebo.Platform.Actions;

/// <summary>A new schema for an action, and optionally a new compatibility mode.</summary>
public sealed record ChangeAction(JsonElement Schemata, string? Compatibility);

/// <summary>
/// A schema change that passed its checks: the action as it is, the candidate compiled, the mode
/// it was checked under, and whether it changes anything at all.
/// </summary>
public sealed record ActionChange(ProblemDetails Problem, ActionDefinition? Current, IReadOnlyList<ActionVersion> History, JsonSchema? Schema, Compatibility? Mode, bool Unchanged);

/// <summary>
/// What a schema change and its dry run share: the checks of the request, the action's history
/// and the compatibility verdict.
/// </summary>
public static class SchemaEvolution
{
    /// <summary>Checks the request and the caller, compiles the candidate and judges it against the action's history.</summary>
    public static async Task<(ActionChange Change, IReadOnlyList<SchemaChange> Breaking)> JudgeAsync(
        string action, JsonElement schemata, string? compatibility, bool mustOwn, ClaimsPrincipal user, IQuerySession session, CancellationToken ct)
    {
        var current = ActionNames.IsValid(action) ? await session.LoadAsync<ActionDefinition>(action, ct) : null;
        if (current is null) return (Refused(Problems.NotFound($"No action named '{action}' is registered.")), []);

        var caller = Caller.Of(user);
        if (mustOwn && !caller.ActsFor(current.Application))
        {
            return (Refused(Problems.Of(403, $"The token of '{caller.Application}' may not change '{action}', which belongs to '{current.Application}'.")), []);
        }

        var errors = new List<ProblemError>();
        if (schemata.ValueKind == JsonValueKind.Undefined)
        {
            errors.Add(new("/schemata", "schemata is required: the new JSON Schema of the action.", "required"));
        }
        var mode = Compatibility.Find(compatibility ?? current.Compatibility);
        if (mode is null)
        {
            errors.Add(new("/compatibility", $"compatibility must be one of {Compatibility.Names}.", "enum"));
        }
        if (errors.Count > 0) return (Refused(Problems.BadRequest("The schema change is invalid.", errors)), []);

        var (schema, reason) = SchemaCompiler.Compile(action, current.Version + 1, schemata);
        if (schema is null) return (Refused(Problems.BadRequest(reason!, [new("/schemata", reason!, "schema")])), []);

        var history = await HistoryAsync(current, session, ct);
        var unchanged = SchemaChanges.Canonical(schemata) == SchemaChanges.Canonical(current.Schemata) && mode!.Name == current.Compatibility;
        var breaking = unchanged ? [] : mode!.Breaking(history.Select(v => (v.Version, v.Schemata)).ToList(), schemata);
        return (new ActionChange(WolverineContinue.NoProblems, current, history, schema, mode, unchanged), breaking);
    }

    /// <summary>Every version of the action, oldest first; an action stored before versions were kept has its current one.</summary>
    public static async Task<IReadOnlyList<ActionVersion>> HistoryAsync(ActionDefinition current, IQuerySession session, CancellationToken ct)
    {
        var versions = await session.Query<ActionVersion>().Where(v => v.Action == current.Id).OrderBy(v => v.Version).ToListAsync(ct);
        return versions.Count > 0 ? versions : [current.ToVersion()];
    }

    /// <summary>Where a breaking change should go instead: the same action with the next <c>.vN</c> suffix.</summary>
    public static string NextActionName(string action)
    {
        var dot = action.LastIndexOf('.');
        var last = action[(dot + 1)..];
        return last.Length > 1 && last[0] == 'v' && int.TryParse(last[1..], out var n) ? $"{action[..dot]}.v{n + 1}" : $"{action}.v2";
    }

    private static ActionChange Refused(ProblemDetails problem) => new(problem, null, [], null, null, false);
}

public static class ChangeActionEndpoint
{
    public static async Task<ActionChange> LoadAsync(string action, ChangeAction? request, ClaimsPrincipal user, IDocumentSession session, CancellationToken ct)
    {
        if (request is null) return new ActionChange(Problems.BadRequest("The body must be a JSON object."), null, [], null, null, false);

        var (change, breaking) = await SchemaEvolution.JudgeAsync(action, request.Schemata, request.Compatibility, mustOwn: true, user, session, ct);
        if (change.Current is null || breaking.Count == 0) return change;

        var mode = change.Mode!;
        var problem = Problems.Of(409,
            $"The new schema of '{action}' is not {mode.Name.Replace('_', ' ')} compatible ({breaking.Count} breaking change{(breaking.Count == 1 ? "" : "s")}); nothing was saved. " +
            $"A breaking change belongs in a new action, such as '{SchemaEvolution.NextActionName(action)}'.",
            breaking.Select(b => new ProblemError(b.Pointer, b.Message, b.Keyword)).ToList());
        return change with { Problem = problem };
    }

    public static ProblemDetails Validate(ActionChange change) => change.Problem;

    [WolverinePut("/v1/actions/{action}", OperationId = "ChangeAction")]
    public static async Task<Results<Ok<Data<ActionView>>, ProblemHttpResult>> Put(
        ChangeAction request, [NotBody] ActionChange change, IDocumentSession session, ActionCatalog catalog, TimeProvider clock, CancellationToken ct)
    {
        var current = change.Current!;
        if (change.Unchanged) return TypedResults.Ok(new Data<ActionView>(ActionView.From(current)));

        var next = new ActionDefinition
        {
            Id = current.Id,
            Application = current.Application,
            Version = current.Version + 1,
            Schemata = request.Schemata.Clone(),
            Stream = current.Stream,
            Compatibility = change.Mode!.Name,
            CreatedAt = clock.GetUtcNow(),
        };
        session.Store(next);
        // An action registered before versions were kept gets its earlier version written now
        // (for any other action this rewrites its one stored version as it is).
        if (change.History is [{ } only] && only.Version == current.Version) session.Store(only);
        session.Insert(next.ToVersion());
        try
        {
            await session.SaveChangesAsync(ct);
        }
        catch (DocumentAlreadyExistsException)
        {
            return Problems.Conflict($"'{current.Id}' was changed by another request at the same moment; read it again and retry.").ToResult();
        }

        catalog.Remember(new CompiledAction(next, change.Schema!, JsonPointer.Parse(next.Stream)));
        return TypedResults.Ok(new Data<ActionView>(ActionView.From(next)));
    }
}
