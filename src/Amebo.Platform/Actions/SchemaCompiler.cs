using System.Text.Json;
using Amebo.Platform.Hosting;
using Json.Schema;

namespace Amebo.Platform.Actions;

/// <summary>
/// Turns a submitted <c>schemata</c> into a compiled JSON Schema, or says in one sentence why it is
/// not one. Unknown <c>format</c> names are refused here, because formats are asserted when
/// validating and an unknown one would otherwise pass every value.
/// </summary>
public static class SchemaCompiler
{
    // Keywords whose values are data, not subschemas: a "format" member inside them is not a format.
    private static readonly HashSet<string> DataKeywords = ["const", "enum", "default", "examples", "example"];

    public static (JsonSchema? Schema, string? Problem) Compile(string action, int version, JsonElement schemata)
    {
        if (schemata.ValueKind is not (JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False))
        {
            return (null, "schemata must be a JSON Schema: an object or a boolean.");
        }

        if (JsonText.FindNul(schemata, "/schemata") is { } nul)
        {
            return (null, $"schemata holds a NUL character (\\u0000) at {nul}, which Amebo cannot store.");
        }

        if (FindProblem(schemata, schemata, "") is { } problem)
        {
            return (null, problem);
        }

        try
        {
            var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
            var schema = JsonSchema.FromText(schemata.GetRawText(), options, new Uri($"urn:amebo:{action}:{version}"));
            return (schema, null);
        }
        catch (Exception e) when (e is JsonSchemaException or JsonException or ArgumentException or InvalidOperationException or FormatException or UriFormatException or KeyNotFoundException)
        {
            return (null, $"schemata is not a valid JSON Schema: {e.Message}");
        }
    }

    /// <summary>
    /// Finds what would make the schema fail later rather than now: an unknown format name, or a
    /// reference that leaves the schema or points at nothing. Amebo never fetches remote schemas.
    /// </summary>
    private static string? FindProblem(JsonElement root, JsonElement schema, string pointer)
    {
        switch (schema.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var member in schema.EnumerateObject())
                {
                    var here = $"{pointer}/{member.Name.Replace("~", "~0").Replace("/", "~1")}";
                    var text = member.Value.ValueKind == JsonValueKind.String ? member.Value.GetString()! : null;
                    if (member.Name == "format" && text is not null && FormatRegistry.Global.Get(text) is null or UnknownFormat)
                    {
                        return $"schemata names the unknown format '{text}' at {here}; known formats include email, uuid, date-time, date, time, ipv4, ipv6, uri and hostname.";
                    }
                    if (member.Name is "$ref" or "$dynamicRef" && text is not null && !Resolves(root, text))
                    {
                        return $"schemata refers to '{text}' at {here}, which is not inside the schema; only references within the schema (#/$defs/...) are supported.";
                    }
                    if (!DataKeywords.Contains(member.Name) && FindProblem(root, member.Value, here) is { } found)
                    {
                        return found;
                    }
                }
                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in schema.EnumerateArray())
                {
                    if (FindProblem(root, item, $"{pointer}/{index++}") is { } found) return found;
                }
                return null;
            default:
                return null;
        }
    }

    private static bool Resolves(JsonElement root, string reference)
    {
        if (!reference.StartsWith('#')) return false;
        var fragment = Uri.UnescapeDataString(reference[1..]);
        if (fragment.Length == 0 || !fragment.StartsWith('/')) return true; // the whole schema, or a named $anchor
        return Json.Pointer.JsonPointer.TryParse(fragment, out var target) && target.Evaluate(root) is not null;
    }
}
