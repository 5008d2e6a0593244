using System.Collections.Concurrent;
using System.Text.Json;
using Amebo.Platform.Hosting;
using Json.Pointer;
using Json.Schema;
using Marten;

namespace Amebo.Platform.Actions;

/// <summary>An action with its schema compiled, ready to validate payloads without re-parsing.</summary>
public sealed class CompiledAction(ActionDefinition definition, JsonSchema schema, JsonPointer stream)
{
    // Most payloads are valid: a yes/no evaluation first builds no result tree; only a refused
    // payload is evaluated again to list its errors.
    private static readonly EvaluationOptions Verdict = new()
    {
        RequireFormatValidation = true,
        OutputFormat = OutputFormat.Flag,
    };

    private static readonly EvaluationOptions Evaluation = new()
    {
        RequireFormatValidation = true,
        OutputFormat = OutputFormat.List,
    };

    public ActionDefinition Definition { get; } = definition;
    public string Name => Definition.Id;
    public string Category { get; } = Projections.PublishedEvent.CategoryOf(definition.Id);
    public JsonPointer Stream { get; } = stream;

    /// <summary>Every way the payload breaks the schema, located under <paramref name="prefix"/>.</summary>
    public List<ProblemError> Violations(JsonElement payload, string prefix)
    {
        var errors = new List<ProblemError>();
        if (schema.Evaluate(payload, Verdict).IsValid) return errors;
        var results = schema.Evaluate(payload, Evaluation);

        foreach (var node in results.Details is { Count: > 0 } details ? details.Prepend(results) : [results])
        {
            if (node.Errors is null) continue;
            foreach (var (keyword, message) in node.Errors)
            {
                var error = Describe(prefix + node.InstanceLocation, node, keyword, message);
                if (!errors.Contains(error)) errors.Add(error);
            }
        }
        if (errors.Count == 0) errors.Add(new(prefix, "The payload does not match the schema.", "schema"));
        return errors;
    }

    /// <summary>
    /// A failing <c>false</c> subschema reports no keyword of its own; name the keyword that holds it
    /// (usually <c>additionalProperties</c>) and say which property is not allowed.
    /// </summary>
    private static ProblemError Describe(string pointer, EvaluationResults node, string keyword, string message)
    {
        if (keyword.Length > 0) return new ProblemError(pointer, message, keyword);

        var path = node.EvaluationPath.ToString().Split('/');
        var holder = path.LastOrDefault(s => s.EndsWith("Properties", StringComparison.Ordinal) || s.EndsWith("Items", StringComparison.Ordinal) || s == "items")
            ?? "false";
        var name = pointer[(pointer.LastIndexOf('/') + 1)..].Replace("~1", "/").Replace("~0", "~");
        var text = holder.EndsWith("Properties", StringComparison.Ordinal)
            ? $"property '{name}' is not allowed"
            : "value is not allowed here";
        return new ProblemError(pointer, text, holder);
    }

    /// <summary>The stream key read from the payload at the action's pointer, when it is a string or an integer.</summary>
    public string? StreamKey(JsonElement payload)
    {
        var value = Stream.Evaluate(payload);
        return value?.ValueKind switch
        {
            JsonValueKind.String when value.Value.GetString() is { Length: > 0 and <= 200 } key => key,
            JsonValueKind.Number when value.Value.TryGetInt64(out var number) => number.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => null,
        };
    }
}

/// <summary>
/// Compiles action schemas and keeps them: a publish looks its action up here and never parses
/// the schema again. Misses load the action from the store.
/// </summary>
public sealed class ActionCatalog
{
    private readonly ConcurrentDictionary<string, CompiledAction> _compiled = new();

    public async ValueTask<CompiledAction?> FindAsync(string? name, IQuerySession session, CancellationToken ct)
    {
        if (!ActionNames.IsValid(name)) return null;
        if (_compiled.TryGetValue(name!, out var cached)) return cached;

        var definition = await session.LoadAsync<ActionDefinition>(name!, ct);
        if (definition is null) return null;
        var compiled = Compile(definition);
        _compiled[name!] = compiled;
        return compiled;
    }

    public void Remember(CompiledAction action) => _compiled[action.Name] = action;

    /// <summary>Forgets every compiled action; for tests that wipe the store between cases.</summary>
    internal void Clear() => _compiled.Clear();

    /// <summary>Compiles a stored definition; it was checked at registration, so failure here is a bug.</summary>
    public static CompiledAction Compile(ActionDefinition definition)
    {
        var (schema, problem) = SchemaCompiler.Compile(definition.Id, definition.Version, definition.Schemata);
        if (schema is null) throw new InvalidOperationException($"The stored schema of '{definition.Id}' no longer compiles: {problem}");
        return new CompiledAction(definition, schema, JsonPointer.Parse(definition.Stream));
    }
}
