using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Amebo.Platform.Actions;

/// <summary>Which guarantee a schema change breaks.</summary>
[Flags]
public enum Breaks
{
    /// <summary>A payload valid under the previous schema may be refused by the new one (the new one is stricter).</summary>
    Backward = 1,

    /// <summary>A payload valid under the new schema may have been refused by the previous one (the new one is looser).</summary>
    Forward = 2,

    /// <summary>Either: the change goes both ways, or Amebo cannot decide and counts it as breaking.</summary>
    Both = Backward | Forward,
}

/// <summary>One difference between two versions of a schema: where it is (a pointer into the schema), what changed, what it breaks.</summary>
public sealed record SchemaChange(string Pointer, string Message, string Keyword, Breaks Breaks);

/// <summary>
/// Lists how a new version of a JSON Schema differs from the previous one, change by change, each
/// classified by the guarantee it breaks. The rules are written down in docs/schema-evolution.md;
/// where a rule cannot decide (combinators, changed patterns, reference cycles) the change counts
/// as breaking both ways. Undeclared properties are outside an open schema's contract: declaring
/// a new optional property, or dropping an optional one, is compatible unless the schema forbids
/// other properties.
/// </summary>
public static class SchemaChanges
{
    private const int MaxDepth = 64;

    // Keywords that describe and never constrain; $defs and definitions are reached through $ref.
    private static readonly HashSet<string> Annotations =
    [
        "$schema", "$id", "$anchor", "$dynamicAnchor", "$comment", "$vocabulary", "$defs", "definitions",
        "title", "description", "default", "examples", "example", "deprecated", "readOnly", "writeOnly",
    ];

    private static readonly string[] LowerBounds = ["minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties", "minContains"];
    private static readonly string[] UpperBounds = ["maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties", "maxContains"];

    // Keywords compared by a rule of their own below; any other constraining keyword is compared whole.
    private static readonly HashSet<string> Ruled =
    [
        "$ref", "type", "properties", "required", "additionalProperties", "enum", "const", "multipleOf",
        "uniqueItems", "pattern", "format", "items", "prefixItems", .. LowerBounds, .. UpperBounds,
    ];

    private static readonly string[] Types = ["null", "boolean", "object", "array", "number", "string", "integer"];

    /// <summary>Every change from <paramref name="previous"/> to <paramref name="next"/>, in schema order.</summary>
    public static List<SchemaChange> Between(JsonElement previous, JsonElement next)
    {
        var walk = new Walk(previous, next);
        walk.Compare(previous, next, "", 0);
        return walk.Changes;
    }

    private sealed class Walk(JsonElement previousRoot, JsonElement nextRoot)
    {
        public List<SchemaChange> Changes { get; } = [];

        // Pairs of references already being compared: a recursive schema is compared once per pair.
        private readonly HashSet<(string?, string?)> _following = [];

        private void Add(string pointer, string message, string keyword, Breaks breaks) =>
            Changes.Add(new SchemaChange(pointer, message, keyword, breaks));

        public void Compare(JsonElement previous, JsonElement next, string pointer, int depth)
        {
            if (depth > MaxDepth)
            {
                Add(pointer, "the schema nests or refers to itself too deeply to compare; counted as breaking", "$ref", Breaks.Both);
                return;
            }
            var pair = (Reference(previous), Reference(next));
            if (pair is not (null, null) && !_following.Add(pair)) return;
            var old = Resolve(previous, previousRoot, pointer);
            var now = Resolve(next, nextRoot, pointer);
            if (old is null || now is null) return;

            if (old.AcceptsNothing || now.AcceptsNothing)
            {
                if (old.AcceptsNothing && !now.AcceptsNothing) Add(pointer, "the schema accepted no value before and accepts values now", "false", Breaks.Forward);
                if (now.AcceptsNothing && !old.AcceptsNothing) Add(pointer, "the schema accepts no value now", "false", Breaks.Backward);
                return;
            }

            CompareTypes(old, now, pointer);
            CompareProperties(old, now, pointer, depth);
            CompareRequired(old, now, pointer);
            CompareAdditionalProperties(old, now, pointer, depth);
            CompareEnum(old, now, pointer);
            CompareConst(old, now, pointer);
            foreach (var keyword in LowerBounds) CompareBound(old, now, pointer, keyword, lower: true);
            foreach (var keyword in UpperBounds) CompareBound(old, now, pointer, keyword, lower: false);
            CompareMultipleOf(old, now, pointer);
            CompareUniqueItems(old, now, pointer);
            CompareText(old, now, pointer, "pattern", "pattern", "Amebo cannot prove that either pattern accepts every string the other does");
            CompareText(old, now, pointer, "format", "format", "values are checked against another format");
            CompareItems(old, now, pointer, depth);
            CompareUnruled(old, now, pointer);
        }

        /// <summary>
        /// The schema at a location with local references followed (siblings of <c>$ref</c> override
        /// the referenced keywords). Null when a reference cannot be followed: that is reported.
        /// </summary>
        private Node? Resolve(JsonElement schema, JsonElement root, string pointer)
        {
            var node = Node.Of(schema);
            for (var hops = 0; node.Keywords.TryGetValue("$ref", out var reference); hops++)
            {
                var target = reference.ValueKind == JsonValueKind.String && hops < MaxDepth ? Follow(root, reference.GetString()!) : null;
                if (target is null)
                {
                    Add(pointer, $"the reference {reference.GetRawText()} cannot be followed within the schema; counted as breaking", "$ref", Breaks.Both);
                    return null;
                }
                var merged = new Dictionary<string, JsonElement>(Node.Of(target.Value).Keywords);
                if (Node.Of(target.Value).AcceptsNothing) return Node.Nothing;
                foreach (var (key, value) in node.Keywords.Where(k => k.Key != "$ref")) merged[key] = value;
                node = new Node(false, merged);
            }
            return node;
        }

        private static string? Reference(JsonElement schema) =>
            schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("$ref", out var reference) ? reference.GetRawText() : null;

        private static JsonElement? Follow(JsonElement root, string reference)
        {
            if (!reference.StartsWith('#')) return null;
            var current = root;
            foreach (var raw in reference[1..].Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                var segment = Uri.UnescapeDataString(raw).Replace("~1", "/").Replace("~0", "~");
                if (current.ValueKind == JsonValueKind.Object && current.TryGetProperty(segment, out var child)) current = child;
                else if (current.ValueKind == JsonValueKind.Array && int.TryParse(segment, out var index) && index < current.GetArrayLength()) current = current[index];
                else return null;
            }
            return current;
        }

        private void CompareTypes(Node old, Node now, string pointer)
        {
            var before = TypesOf(old);
            var after = TypesOf(now);
            var narrowed = before.Any(t => !Covers(after, t));
            var widened = after.Any(t => !Covers(before, t));
            var (was, @is) = (Show(old), Show(now));
            if (narrowed && widened) Add(pointer + "/type", $"type changed from {was} to {@is}", "type", Breaks.Both);
            else if (narrowed) Add(pointer + "/type", $"{@is} narrowed from {was}", "type", Breaks.Backward);
            else if (widened) Add(pointer + "/type", $"{@is} widened from {was}", "type", Breaks.Forward);
        }

        private static HashSet<string> TypesOf(Node node)
        {
            if (!node.Keywords.TryGetValue("type", out var type)) return [.. Types];
            return type.ValueKind switch
            {
                JsonValueKind.String => [type.GetString()!],
                JsonValueKind.Array => [.. type.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!)],
                _ => [.. Types],
            };
        }

        private static bool Covers(HashSet<string> types, string type) => types.Contains(type) || type == "integer" && types.Contains("number");

        private static string Show(Node node) => !node.Keywords.TryGetValue("type", out var type)
            ? "any type"
            : type.ValueKind == JsonValueKind.String ? type.GetString()! : "[" + string.Join(", ", type.EnumerateArray().Select(t => t.ToString())) + "]";

        private void CompareProperties(Node old, Node now, string pointer, int depth)
        {
            var before = Members(old, "properties");
            var after = Members(now, "properties");
            foreach (var name in before.Keys.Concat(after.Keys.Where(k => !before.ContainsKey(k))))
            {
                var here = $"{pointer}/properties/{Escape(name)}";
                var inBefore = before.TryGetValue(name, out var was);
                var inAfter = after.TryGetValue(name, out var @is);
                if (inBefore && inAfter)
                {
                    Compare(was, @is, here, depth + 1);
                    continue;
                }

                var other = inBefore ? OtherProperties(now, name) : OtherProperties(old, name);
                if (other is null)
                {
                    Add(here, "the property is matched by a changed patternProperties; counted as breaking", "patternProperties", Breaks.Both);
                    continue;
                }
                if (other.Value.ValueKind == JsonValueKind.True || other.Value.ValueKind == JsonValueKind.Object && !other.Value.EnumerateObject().Any())
                {
                    // Open schema: the property was (or is now) undeclared, which is outside the contract.
                    continue;
                }
                if (other.Value.ValueKind == JsonValueKind.False)
                {
                    if (inAfter) Add(here, "property added where the previous version allowed no other properties", "properties", Breaks.Forward);
                    else Add(here, "property removed while other properties are not allowed", "properties", Breaks.Backward);
                    continue;
                }
                if (inAfter) Compare(other.Value, @is, here, depth + 1);
                else Compare(was, other.Value, here, depth + 1);
            }
        }

        /// <summary>The schema an undeclared property <paramref name="name"/> meets: a matching pattern's, else additionalProperties (default true). Null when several patterns match.</summary>
        private static JsonElement? OtherProperties(Node node, string name)
        {
            var patterns = Members(node, "patternProperties").Where(p => Matches(p.Key, name)).Select(p => p.Value).ToList();
            if (patterns.Count > 1) return null;
            if (patterns.Count == 1) return patterns[0];
            return node.Keywords.TryGetValue("additionalProperties", out var additional) ? additional : True;
        }

        private static bool Matches(string pattern, string name)
        {
            try
            {
                return Regex.IsMatch(name, pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100));
            }
            catch (Exception e) when (e is ArgumentException or RegexMatchTimeoutException)
            {
                return true;
            }
        }

        private void CompareRequired(Node old, Node now, string pointer)
        {
            var before = Names(old, "required");
            var after = Names(now, "required");
            var declaredBefore = Members(old, "properties");
            foreach (var name in after.Where(n => !before.Contains(n)))
            {
                var message = declaredBefore.ContainsKey(name) ? "property became required" : "new required property";
                Add($"{pointer}/properties/{Escape(name)}", message, "required", Breaks.Backward);
            }
            foreach (var name in before.Where(n => !after.Contains(n)))
            {
                Add($"{pointer}/properties/{Escape(name)}", "property is no longer required", "required", Breaks.Forward);
            }
        }

        private void CompareAdditionalProperties(Node old, Node now, string pointer, int depth)
        {
            var was = old.Keywords.TryGetValue("additionalProperties", out var a) ? a : True;
            var @is = now.Keywords.TryGetValue("additionalProperties", out var b) ? b : True;
            var here = pointer + "/additionalProperties";
            if (IsTrue(was) && IsTrue(@is)) return;
            if (@is.ValueKind == JsonValueKind.False && was.ValueKind != JsonValueKind.False)
            {
                Add(here, "other properties are no longer allowed", "additionalProperties", Breaks.Backward);
            }
            else if (was.ValueKind == JsonValueKind.False && @is.ValueKind != JsonValueKind.False)
            {
                Add(here, "other properties are allowed now", "additionalProperties", Breaks.Forward);
            }
            else if (was.ValueKind != JsonValueKind.False)
            {
                Compare(was, @is, here, depth + 1);
            }
        }

        private void CompareEnum(Node old, Node now, string pointer)
        {
            var hadEnum = old.Keywords.TryGetValue("enum", out var was) && was.ValueKind == JsonValueKind.Array;
            var hasEnum = now.Keywords.TryGetValue("enum", out var @is) && @is.ValueKind == JsonValueKind.Array;
            var here = pointer + "/enum";
            if (!hadEnum && hasEnum) Add(here, $"values are limited to {Show(@is)} now", "enum", Breaks.Backward);
            else if (hadEnum && !hasEnum) Add(here, "values are no longer limited to a list", "enum", Breaks.Forward);
            else if (hadEnum && hasEnum)
            {
                var before = was.EnumerateArray().Select(Canonical).ToList();
                var after = @is.EnumerateArray().Select(Canonical).ToList();
                var removed = before.Where(v => !after.Contains(v)).ToList();
                var added = after.Where(v => !before.Contains(v)).ToList();
                if (removed.Count > 0) Add(here, $"no longer allows {string.Join(", ", removed)}", "enum", Breaks.Backward);
                if (added.Count > 0) Add(here, $"allows {string.Join(", ", added)} now", "enum", Breaks.Forward);
            }
        }

        private void CompareConst(Node old, Node now, string pointer)
        {
            var had = old.Keywords.TryGetValue("const", out var was);
            var has = now.Keywords.TryGetValue("const", out var @is);
            var here = pointer + "/const";
            if (!had && has) Add(here, $"the value is fixed to {Canonical(@is)} now", "const", Breaks.Backward);
            else if (had && !has) Add(here, $"the value is no longer fixed to {Canonical(was)}", "const", Breaks.Forward);
            else if (had && has && Canonical(was) != Canonical(@is)) Add(here, $"const changed from {Canonical(was)} to {Canonical(@is)}", "const", Breaks.Both);
        }

        private void CompareBound(Node old, Node now, string pointer, string keyword, bool lower)
        {
            var had = Number(old, keyword, out var was);
            var has = Number(now, keyword, out var @is);
            var here = $"{pointer}/{keyword}";
            if (!had && has) Add(here, $"{keyword} of {Show(@is)} added", keyword, Breaks.Backward);
            else if (had && !has) Add(here, $"{keyword} of {Show(was)} removed", keyword, Breaks.Forward);
            else if (had && has && was != @is)
            {
                var stricter = lower ? @is > was : @is < was;
                var verb = @is > was ? "raised" : "lowered";
                Add(here, $"{keyword} {verb} from {Show(was)} to {Show(@is)}", keyword, stricter ? Breaks.Backward : Breaks.Forward);
            }
        }

        private void CompareMultipleOf(Node old, Node now, string pointer)
        {
            var had = Number(old, "multipleOf", out var was);
            var has = Number(now, "multipleOf", out var @is);
            var here = pointer + "/multipleOf";
            if (!had && has) Add(here, $"multipleOf {Show(@is)} added", "multipleOf", Breaks.Backward);
            else if (had && !has) Add(here, $"multipleOf {Show(was)} removed", "multipleOf", Breaks.Forward);
            else if (had && has && was != @is)
            {
                // Multiples of the old divisor stay valid when the new divisor divides it, and the other way round.
                var looser = @is != 0 && decimal.Remainder(was, @is) == 0;
                var stricter = was != 0 && decimal.Remainder(@is, was) == 0;
                var breaks = looser ? Breaks.Forward : stricter ? Breaks.Backward : Breaks.Both;
                Add(here, $"multipleOf changed from {Show(was)} to {Show(@is)}", "multipleOf", breaks);
            }
        }

        private void CompareUniqueItems(Node old, Node now, string pointer)
        {
            var was = old.Keywords.TryGetValue("uniqueItems", out var a) && a.ValueKind == JsonValueKind.True;
            var @is = now.Keywords.TryGetValue("uniqueItems", out var b) && b.ValueKind == JsonValueKind.True;
            if (@is && !was) Add(pointer + "/uniqueItems", "items must be unique now", "uniqueItems", Breaks.Backward);
            if (was && !@is) Add(pointer + "/uniqueItems", "items no longer need to be unique", "uniqueItems", Breaks.Forward);
        }

        private void CompareText(Node old, Node now, string pointer, string keyword, string noun, string undecided)
        {
            var had = old.Keywords.TryGetValue(keyword, out var was);
            var has = now.Keywords.TryGetValue(keyword, out var @is);
            var here = $"{pointer}/{keyword}";
            if (!had && has) Add(here, $"{noun} {Canonical(@is)} added", keyword, Breaks.Backward);
            else if (had && !has) Add(here, $"{noun} {Canonical(was)} removed", keyword, Breaks.Forward);
            else if (had && has && Canonical(was) != Canonical(@is))
            {
                Add(here, $"{noun} changed from {Canonical(was)} to {Canonical(@is)}: {undecided}; counted as breaking", keyword, Breaks.Both);
            }
        }

        private void CompareItems(Node old, Node now, string pointer, int depth)
        {
            var wasItems = old.Keywords.TryGetValue("items", out var a) ? a : True;
            var isItems = now.Keywords.TryGetValue("items", out var b) ? b : True;
            if (wasItems.ValueKind == JsonValueKind.Array || isItems.ValueKind == JsonValueKind.Array)
            {
                // The array form of items (before draft 2020-12) is compared whole.
                if (Canonical(wasItems) != Canonical(isItems))
                {
                    Add(pointer + "/items", "the array form of items changed; counted as breaking", "items", Breaks.Both);
                }
                return;
            }

            var wasPrefix = old.Keywords.TryGetValue("prefixItems", out var p) && p.ValueKind == JsonValueKind.Array ? p.EnumerateArray().ToList() : [];
            var isPrefix = now.Keywords.TryGetValue("prefixItems", out var q) && q.ValueKind == JsonValueKind.Array ? q.EnumerateArray().ToList() : [];
            for (var i = 0; i < Math.Max(wasPrefix.Count, isPrefix.Count); i++)
            {
                var was = i < wasPrefix.Count ? wasPrefix[i] : wasItems;
                var @is = i < isPrefix.Count ? isPrefix[i] : isItems;
                Compare(was, @is, $"{pointer}/prefixItems/{i}", depth + 1);
            }
            if (!(IsTrue(wasItems) && IsTrue(isItems))) Compare(wasItems, isItems, pointer + "/items", depth + 1);
        }

        /// <summary>Every other constraining keyword (allOf, anyOf, oneOf, not, if/then/else, contains, patternProperties, ...): unchanged or breaking.</summary>
        private void CompareUnruled(Node old, Node now, string pointer)
        {
            foreach (var keyword in old.Keywords.Keys.Union(now.Keywords.Keys).Where(k => !Ruled.Contains(k) && !Annotations.Contains(k)).Order(StringComparer.Ordinal))
            {
                var had = old.Keywords.TryGetValue(keyword, out var was);
                var has = now.Keywords.TryGetValue(keyword, out var @is);
                if (had && has && Canonical(was) == Canonical(@is)) continue;
                var what = had && has ? "changed" : has ? "added" : "removed";
                Add($"{pointer}/{keyword}", $"{keyword} {what}: Amebo cannot decide whether this is compatible; counted as breaking", keyword, Breaks.Both);
            }
        }

        private static Dictionary<string, JsonElement> Members(Node node, string keyword) =>
            node.Keywords.TryGetValue(keyword, out var value) && value.ValueKind == JsonValueKind.Object
                ? value.EnumerateObject().ToDictionary(p => p.Name, p => p.Value)
                : [];

        private static HashSet<string> Names(Node node, string keyword) =>
            node.Keywords.TryGetValue(keyword, out var value) && value.ValueKind == JsonValueKind.Array
                ? [.. value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!)]
                : [];

        private static bool Number(Node node, string keyword, out decimal value)
        {
            value = 0;
            return node.Keywords.TryGetValue(keyword, out var element) && element.ValueKind == JsonValueKind.Number && element.TryGetDecimal(out value);
        }

        private static bool IsTrue(JsonElement schema) =>
            schema.ValueKind == JsonValueKind.True || schema.ValueKind == JsonValueKind.Object && !schema.EnumerateObject().Any();

        private static string Show(decimal value) => value.ToString("G29", CultureInfo.InvariantCulture);

        private static string Show(JsonElement values) => values.ValueKind == JsonValueKind.Array
            ? "[" + string.Join(", ", values.EnumerateArray().Select(Canonical)) + "]"
            : Canonical(values);

        private static string Escape(string name) => name.Replace("~", "~0").Replace("/", "~1");
    }

    private static readonly JsonElement True = JsonDocument.Parse("true").RootElement;

    /// <summary>A JSON value written with object members in name order, so equal values compare equal as text.</summary>
    public static string Canonical(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "{" + string.Join(",", value.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => JsonSerializer.Serialize(p.Name) + ":" + Canonical(p.Value))) + "}",
        JsonValueKind.Array => "[" + string.Join(",", value.EnumerateArray().Select(Canonical)) + "]",
        JsonValueKind.Number => value.TryGetDecimal(out var d) ? d.ToString("G29", CultureInfo.InvariantCulture) : value.GetRawText(),
        _ => value.GetRawText(),
    };

    /// <summary>A schema as its keywords; <c>true</c> is a schema with none, <c>false</c> accepts nothing.</summary>
    private sealed record Node(bool AcceptsNothing, Dictionary<string, JsonElement> Keywords)
    {
        public static readonly Node Nothing = new(true, []);

        public static Node Of(JsonElement schema) => schema.ValueKind switch
        {
            JsonValueKind.False => Nothing,
            JsonValueKind.Object => new Node(false, schema.EnumerateObject().GroupBy(p => p.Name).ToDictionary(g => g.Key, g => g.Last().Value)),
            _ => new Node(false, []),
        };
    }
}
