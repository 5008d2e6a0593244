using System.Text.Json.Nodes;

namespace Amebo.Platform.Entities;

/// <summary>JSON Merge Patch (RFC 7396): how an entity's state is folded from its events' payloads.</summary>
public static class MergePatch
{
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject) return patch?.DeepClone();

        var result = target as JsonObject ?? new JsonObject();
        foreach (var (name, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(name);
                continue;
            }
            result[name] = Apply(result.TryGetPropertyValue(name, out var existing) ? existing?.DeepClone() : null, value);
        }
        return result;
    }
}
