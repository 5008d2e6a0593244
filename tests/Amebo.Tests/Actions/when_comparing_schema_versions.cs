using System.Text.Json;
using Amebo.Platform.Actions;

namespace Amebo.Tests.Actions;

/// <summary>
/// The compatibility rules, one row per rule and direction: the previous schema, the new one, what
/// the change breaks (none, backward, forward or both) and, when it breaks something, where and
/// what is said. Every row is checked under every mode, and reversed (new → previous), which must
/// break the opposite guarantee.
/// </summary>
public sealed class when_comparing_schema_versions
{
    public sealed record Rule(string Name, string Previous, string Next, Breaks Breaks, string? Pointer = null, string? Message = null)
    {
        public override string ToString() => Name;
    }

    private const string Open = """{"type":"object","properties":{"id":{"type":"string"},"email":{"type":"string"}}}""";
    private const string OpenWithPhone = """{"type":"object","properties":{"id":{"type":"string"},"email":{"type":"string"},"phone":{"type":"string"}}}""";

    public static readonly Rule[] Rules =
    [
        // The seed's example: version 2 adds an optional phone.
        new("seed: adding optional phone to an open schema", Open, OpenWithPhone, 0),
        new("seed: phone becomes required", OpenWithPhone,
            """{"type":"object","properties":{"id":{"type":"string"},"email":{"type":"string"},"phone":{"type":"string"}},"required":["phone"]}""",
            Breaks.Backward, "/properties/phone", "property became required"),
        new("a new property that is required at once", Open,
            """{"type":"object","properties":{"id":{"type":"string"},"email":{"type":"string"},"phone":{"type":"string"}},"required":["phone"]}""",
            Breaks.Backward, "/properties/phone", "new required property"),
        new("required: a property is no longer required",
            """{"properties":{"id":{"type":"string"}},"required":["id"]}""", """{"properties":{"id":{"type":"string"}}}""",
            Breaks.Forward, "/properties/id", "property is no longer required"),
        new("removing an optional property from an open schema", OpenWithPhone, Open, 0),

        new("type: number narrowed to integer", """{"properties":{"age":{"type":"number"}}}""", """{"properties":{"age":{"type":"integer"}}}""",
            Breaks.Backward, "/properties/age/type", "integer narrowed from number"),
        new("type: null allowed as well", """{"properties":{"age":{"type":"integer"}}}""", """{"properties":{"age":{"type":["integer","null"]}}}""",
            Breaks.Forward, "/properties/age/type", "[integer, null] widened from integer"),
        new("type: string changed to number", """{"type":"string"}""", """{"type":"number"}""", Breaks.Both, "/type", "type changed from string to number"),
        new("type: added where any was allowed", """{}""", """{"type":"string"}""", Breaks.Backward, "/type", "string narrowed from any type"),
        new("type: unchanged list in another order", """{"type":["string","null"]}""", """{"type":["null","string"]}""", 0),

        new("additionalProperties: closed", """{"properties":{"a":{}}}""", """{"properties":{"a":{}},"additionalProperties":false}""",
            Breaks.Backward, "/additionalProperties", "other properties are no longer allowed"),
        new("additionalProperties: opened", """{"properties":{"a":{}},"additionalProperties":false}""", """{"properties":{"a":{}}}""",
            Breaks.Forward, "/additionalProperties", "other properties are allowed now"),
        new("additionalProperties: schema widened", """{"additionalProperties":{"type":"string"}}""", """{"additionalProperties":{"type":["string","number"]}}""",
            Breaks.Forward, "/additionalProperties/type"),
        new("properties: added to a closed schema",
            """{"properties":{"a":{}},"additionalProperties":false}""", """{"properties":{"a":{},"b":{"type":"string"}},"additionalProperties":false}""",
            Breaks.Forward, "/properties/b", "property added where the previous version allowed no other properties"),
        new("properties: a new property must match what additionalProperties allowed",
            """{"additionalProperties":{"type":"string"}}""", """{"properties":{"b":{"type":"string","maxLength":3}},"additionalProperties":{"type":"string"}}""",
            Breaks.Backward, "/properties/b/maxLength", "maxLength of 3 added"),
        new("patternProperties: unchanged", """{"patternProperties":{"^x-":{"type":"string"}}}""", """{"patternProperties":{"^x-":{"type":"string"}}}""", 0),
        new("patternProperties: changed", """{"patternProperties":{"^x-":{"type":"string"}}}""", """{"patternProperties":{"^x-":{"type":"integer"}}}""",
            Breaks.Both, "/patternProperties", "cannot decide"),

        new("enum: a value removed", """{"enum":["web","mobile","api"]}""", """{"enum":["web","mobile"]}""", Breaks.Backward, "/enum", "no longer allows \"api\""),
        new("enum: a value added", """{"enum":["web","mobile"]}""", """{"enum":["web","mobile","api"]}""", Breaks.Forward, "/enum", "allows \"api\" now"),
        new("enum: values reordered", """{"enum":["web","mobile"]}""", """{"enum":["mobile","web"]}""", 0),
        new("enum: introduced", """{"type":"string"}""", """{"type":"string","enum":["a"]}""", Breaks.Backward, "/enum", "values are limited to [\"a\"] now"),
        new("const: introduced", """{}""", """{"const":"v1"}""", Breaks.Backward, "/const", "the value is fixed to \"v1\" now"),
        new("const: changed", """{"const":1}""", """{"const":2}""", Breaks.Both, "/const", "const changed from 1 to 2"),
        new("const: same number written differently", """{"const":1}""", """{"const":1.0}""", 0),

        new("minLength raised", """{"type":"string","minLength":1}""", """{"type":"string","minLength":3}""", Breaks.Backward, "/minLength", "minLength raised from 1 to 3"),
        new("maxLength lowered", """{"type":"string","maxLength":10}""", """{"type":"string","maxLength":5}""", Breaks.Backward, "/maxLength", "maxLength lowered from 10 to 5"),
        new("maxLength removed", """{"type":"string","maxLength":10}""", """{"type":"string"}""", Breaks.Forward, "/maxLength", "maxLength of 10 removed"),
        new("minimum added", """{"type":"number"}""", """{"type":"number","minimum":0}""", Breaks.Backward, "/minimum", "minimum of 0 added"),
        new("maximum raised", """{"type":"number","maximum":10}""", """{"type":"number","maximum":100}""", Breaks.Forward, "/maximum", "maximum raised from 10 to 100"),
        new("exclusiveMinimum lowered", """{"exclusiveMinimum":5}""", """{"exclusiveMinimum":0}""", Breaks.Forward, "/exclusiveMinimum", "exclusiveMinimum lowered from 5 to 0"),
        new("exclusiveMaximum added", """{}""", """{"exclusiveMaximum":5}""", Breaks.Backward, "/exclusiveMaximum"),
        new("minItems raised", """{"type":"array"}""", """{"type":"array","minItems":1}""", Breaks.Backward, "/minItems"),
        new("maxItems raised", """{"type":"array","maxItems":2}""", """{"type":"array","maxItems":3}""", Breaks.Forward, "/maxItems"),
        new("minProperties raised", """{"minProperties":1}""", """{"minProperties":2}""", Breaks.Backward, "/minProperties"),
        new("maxProperties lowered", """{"maxProperties":5}""", """{"maxProperties":4}""", Breaks.Backward, "/maxProperties"),
        new("multipleOf tightened from 5 to 10", """{"multipleOf":5}""", """{"multipleOf":10}""", Breaks.Backward, "/multipleOf", "multipleOf changed from 5 to 10"),
        new("multipleOf relaxed from 10 to 5", """{"multipleOf":10}""", """{"multipleOf":5}""", Breaks.Forward, "/multipleOf"),
        new("multipleOf changed from 3 to 5", """{"multipleOf":3}""", """{"multipleOf":5}""", Breaks.Both, "/multipleOf"),
        new("uniqueItems required", """{"type":"array"}""", """{"type":"array","uniqueItems":true}""", Breaks.Backward, "/uniqueItems", "items must be unique now"),

        new("pattern added", """{"type":"string"}""", """{"type":"string","pattern":"^[a-z]+$"}""", Breaks.Backward, "/pattern", "pattern \"^[a-z]+$\" added"),
        new("pattern removed", """{"type":"string","pattern":"^[a-z]+$"}""", """{"type":"string"}""", Breaks.Forward, "/pattern", "pattern \"^[a-z]+$\" removed"),
        new("pattern changed (undecidable: breaking)", """{"pattern":"^[a-z]+$"}""", """{"pattern":"^[a-z0-9]+$"}""", Breaks.Both, "/pattern", "cannot prove"),
        new("format added", """{"type":"string"}""", """{"type":"string","format":"email"}""", Breaks.Backward, "/format", "format \"email\" added"),
        new("format removed", """{"type":"string","format":"email"}""", """{"type":"string"}""", Breaks.Forward, "/format"),
        new("format changed", """{"type":"string","format":"email"}""", """{"type":"string","format":"uuid"}""", Breaks.Both, "/format"),

        new("nested object: a field narrowed",
            """{"properties":{"address":{"type":"object","properties":{"zip":{"type":["string","integer"]}}}}}""",
            """{"properties":{"address":{"type":"object","properties":{"zip":{"type":"string"}}}}}""",
            Breaks.Backward, "/properties/address/properties/zip/type", "string narrowed from [string, integer]"),
        new("array items narrowed", """{"properties":{"scores":{"type":"array","items":{"type":"number"}}}}""",
            """{"properties":{"scores":{"type":"array","items":{"type":"integer"}}}}""",
            Breaks.Backward, "/properties/scores/items/type", "integer narrowed from number"),
        new("array items widened", """{"type":"array","items":{"type":"integer"}}""", """{"type":"array","items":{"type":"number"}}""",
            Breaks.Forward, "/items/type"),
        new("prefixItems: a position constrained", """{"prefixItems":[{"type":"string"}]}""", """{"prefixItems":[{"type":"string"},{"type":"integer"}]}""",
            Breaks.Backward, "/prefixItems/1/type", "integer narrowed from any type"),

        new("$ref: the referenced definition narrowed",
            """{"$defs":{"zip":{"type":"string"}},"properties":{"zip":{"$ref":"#/$defs/zip"}}}""",
            """{"$defs":{"zip":{"type":"string","maxLength":5}},"properties":{"zip":{"$ref":"#/$defs/zip"}}}""",
            Breaks.Backward, "/properties/zip/maxLength", "maxLength of 5 added"),
        new("$ref: inlined with the same content",
            """{"$defs":{"zip":{"type":"string"}},"properties":{"zip":{"$ref":"#/$defs/zip"}}}""",
            """{"properties":{"zip":{"type":"string"}}}""", 0),
        new("$ref: a recursive schema gains an optional field",
            """{"$defs":{"node":{"type":"object","properties":{"children":{"type":"array","items":{"$ref":"#/$defs/node"}}}}},"$ref":"#/$defs/node"}""",
            """{"$defs":{"node":{"type":"object","properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#/$defs/node"}}}}},"$ref":"#/$defs/node"}""",
            0),
        new("$ref: a recursive schema narrows a field",
            """{"$defs":{"node":{"type":"object","properties":{"n":{"type":"number"},"children":{"type":"array","items":{"$ref":"#/$defs/node"}}}}},"$ref":"#/$defs/node"}""",
            """{"$defs":{"node":{"type":"object","properties":{"n":{"type":"integer"},"children":{"type":"array","items":{"$ref":"#/$defs/node"}}}}},"$ref":"#/$defs/node"}""",
            Breaks.Backward, "/properties/n/type", "integer narrowed from number"),

        new("allOf changed (undecidable: breaking)", """{"allOf":[{"type":"string"}]}""", """{"allOf":[{"type":"string"},{"minLength":2}]}""",
            Breaks.Both, "/allOf", "Amebo cannot decide whether this is compatible"),
        new("oneOf unchanged", """{"oneOf":[{"type":"string"},{"type":"integer"}]}""", """{"oneOf":[{"type":"string"},{"type":"integer"}]}""", 0),
        new("if/then added (undecidable: breaking)", """{}""", """{"if":{"required":["a"]},"then":{"required":["b"]}}""", Breaks.Both, "/if"),

        new("true becomes false", "true", "false", Breaks.Backward, "", "the schema accepts no value now"),
        new("descriptions and titles change nothing", """{"title":"A","description":"old","type":"string"}""", """{"title":"B","description":"new","examples":["x"],"type":"string"}""", 0),
        new("an identical schema", Open, Open, 0),
    ];

    public static TheoryData<Rule> AllRules() => [.. Rules];

    public static TheoryData<Rule, string> RulesUnderEveryMode()
    {
        var data = new TheoryData<Rule, string>();
        foreach (var rule in Rules)
        {
            foreach (var mode in new[] { "backward", "forward", "full", "none" }) data.Add(rule, mode);
        }
        return data;
    }

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement;

    private static Breaks BreaksOf(IEnumerable<SchemaChange> changes) => changes.Aggregate((Breaks)0, (all, c) => all | c.Breaks);

    [Theory]
    [MemberData(nameof(AllRules))]
    public void each_rule_finds_the_change_says_where_and_what_and_what_it_breaks(Rule rule)
    {
        var changes = SchemaChanges.Between(Parse(rule.Previous), Parse(rule.Next));

        BreaksOf(changes).ShouldBe(rule.Breaks, string.Join("; ", changes));
        if (rule.Pointer is null) return;
        var found = changes.Where(c => c.Pointer == rule.Pointer).ToList();
        found.ShouldNotBeEmpty($"no change at {rule.Pointer}: {string.Join("; ", changes)}");
        if (rule.Message is not null) found.ShouldContain(c => c.Message.Contains(rule.Message), string.Join("; ", found));
    }

    [Theory]
    [MemberData(nameof(AllRules))]
    public void each_rule_reversed_breaks_the_opposite_guarantee(Rule rule)
    {
        var reversed = BreaksOf(SchemaChanges.Between(Parse(rule.Next), Parse(rule.Previous)));

        var expected = rule.Breaks switch
        {
            Breaks.Backward => Breaks.Forward,
            Breaks.Forward => Breaks.Backward,
            var same => same,
        };
        reversed.ShouldBe(expected);
    }

    [Theory]
    [MemberData(nameof(RulesUnderEveryMode))]
    public void each_mode_refuses_exactly_the_changes_that_break_its_guarantee(Rule rule, string mode)
    {
        var compatibility = Compatibility.Find(mode)!;

        var breaking = compatibility.Breaking([(1, Parse(rule.Previous))], Parse(rule.Next));

        var refused = mode switch
        {
            "backward" => rule.Breaks.HasFlag(Breaks.Backward),
            "forward" => rule.Breaks.HasFlag(Breaks.Forward),
            "full" => rule.Breaks != 0,
            _ => false,
        };
        (breaking.Count > 0).ShouldBe(refused, string.Join("; ", breaking));
    }

    [Theory]
    [InlineData("backward", false)]
    [InlineData("backward_transitive", true)]
    [InlineData("full_transitive", true)]
    [InlineData("none", false)]
    public void transitive_modes_check_every_earlier_version_and_name_it(string mode, bool refused)
    {
        // Version 2 replaced version 1's string with an integer (under mode none); the candidate accepts version 2's payloads, not version 1's.
        var history = new List<(int, JsonElement)>
        {
            (1, Parse("""{"properties":{"x":{"type":"string"}}}""")),
            (2, Parse("""{"properties":{"x":{"type":"integer"}}}""")),
        };
        var candidate = Parse("""{"properties":{"x":{"type":["integer","null"]}}}""");

        var breaking = Compatibility.Find(mode)!.Breaking(history, candidate);

        (breaking.Count > 0).ShouldBe(refused, string.Join("; ", breaking));
        if (refused) breaking.ShouldContain(b => b.Pointer == "/properties/x/type" && b.Message.EndsWith("(against version 1)"));
    }

    [Fact]
    public void forward_transitive_refuses_what_an_earlier_version_never_accepted()
    {
        var history = new List<(int, JsonElement)>
        {
            (1, Parse("""{"properties":{"x":{"type":"integer"}}}""")),
            (2, Parse("""{"properties":{"x":{"type":"number"}}}""")),
        };
        var candidate = Parse("""{"properties":{"x":{"type":"number","minimum":0}}}""");

        Compatibility.Find("forward")!.Breaking(history, candidate).ShouldBeEmpty();
        Compatibility.Find("forward_transitive")!.Breaking(history, candidate)
            .ShouldContain(b => b.Pointer == "/properties/x/type" && b.Message == "number widened from integer (against version 1)");
    }

    [Fact]
    public void an_unknown_mode_is_not_found_and_the_default_is_backward()
    {
        Compatibility.Find("sideways").ShouldBeNull();
        Compatibility.Find(null)!.Name.ShouldBe("backward");
        Compatibility.All.Select(m => m.Name).ShouldBe(["backward", "forward", "full", "none", "backward_transitive", "forward_transitive", "full_transitive"]);
    }
}
