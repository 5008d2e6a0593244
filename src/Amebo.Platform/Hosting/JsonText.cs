using System.Runtime.InteropServices;
using System.Text.Json;

namespace Amebo.Platform.Hosting;

/// <summary>Checks on JSON that PostgreSQL's jsonb imposes beyond JSON itself.</summary>
public static class JsonText
{
    /// <summary>
    /// The pointer (under <paramref name="prefix"/>) of the first string or member name holding a NUL
    /// character, which jsonb cannot store; null when there is none.
    /// </summary>
    public static string? FindNul(JsonElement element, string prefix)
    {
        // Cheap test first: a NUL can only arrive as the escape \u0000 in the raw text.
        return JsonMarshal.GetRawUtf8Value(element).IndexOf("\\u0000"u8) < 0 ? null : Walk(element, prefix);
    }

    private static string? Walk(JsonElement element, string pointer)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return element.GetString()!.Contains('\0') ? pointer : null;
            case JsonValueKind.Object:
                foreach (var member in element.EnumerateObject())
                {
                    var here = $"{pointer}/{member.Name.Replace("~", "~0").Replace("/", "~1")}";
                    if (member.Name.Contains('\0')) return here;
                    if (Walk(member.Value, here) is { } found) return found;
                }
                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (Walk(item, $"{pointer}/{index++}") is { } found) return found;
                }
                return null;
            default:
                return null;
        }
    }
}
