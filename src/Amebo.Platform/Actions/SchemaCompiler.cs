using System.Text.Json;
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

        if (FindUnknownFormat(schemata, "") is { } unknown)
        {
            return (null, $"schemata names the unknown format '{unknown.Name}' at {unknown.Pointer}; known formats include email, uuid, date-time, date, time, ipv4, ipv6, uri and hostname.");
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

    private static (string Name, string Pointer)? FindUnknownFormat(JsonElement schema, string pointer)
    {
        switch (schema.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var member in schema.EnumerateObject())
                {
                    var here = $"{pointer}/{member.Name.Replace("~", "~0").Replace("/", "~1")}";
                    if (member.Name == "format" && member.Value.ValueKind == JsonValueKind.String)
                    {
                        var name = member.Value.GetString()!;
                        if (FormatRegistry.Global.Get(name) is null or UnknownFormat) return (name, here);
                    }
                    else if (!DataKeywords.Contains(member.Name) && FindUnknownFormat(member.Value, here) is { } found)
                    {
                        return found;
                    }
                }
                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in schema.EnumerateArray())
                {
                    if (FindUnknownFormat(item, $"{pointer}/{index++}") is { } found) return found;
                }
                return null;
            default:
                return null;
        }
    }
}
