using Microsoft.Extensions.DependencyInjection;
using System.Text.Json.Nodes;
using Amebo.Tests.Fixtures;

namespace Amebo.Tests.Actions;

public sealed class when_evolving_an_action_schema(AmeboFixture fixture) : AmeboTest(fixture)
{
    // The seed's "Schema Evolution" example, exactly.
    private static JsonObject Version1() => JsonNode.Parse("""{"properties":{"id":{"type":"string"},"email":{"type":"string"}}}""")!.AsObject();
    private static JsonObject Version2() => JsonNode.Parse("""{"properties":{"id":{"type":"string"},"email":{"type":"string"},"phone":{"type":"string"}}}""")!.AsObject();

    private static JsonObject PhoneRequired()
    {
        var schema = Version2();
        schema["required"] = new JsonArray("phone");
        return schema;
    }

    private Task<long> StoredVersions() => Fixture.CountAsync("select count(*) from amebo.mt_doc_action_version where data->>'action' = 'user.created'");

    private async Task<Answer> Put(string action, JsonObject schemata, string? compatibility = null, Api? api = null)
    {
        var body = new JsonObject { ["schemata"] = schemata };
        if (compatibility is not null) body["compatibility"] = compatibility;
        return await (api ?? Api).Put($"/v1/actions/{action}", body.ToJsonString());
    }

    [Fact]
    public async Task the_seeds_optional_phone_is_version_2_and_making_it_required_is_refused_naming_phone()
    {
        await Api.RegisteredApplication();
        await Api.DefinedAction("user.created", Version1());

        var accepted = await Put("user.created", Version2());

        ((int)accepted.Status).ShouldBe(200, accepted.Text);
        accepted.Data.GetProperty("version").GetInt32().ShouldBe(2);
        accepted.Data.GetProperty("compatibility").GetString().ShouldBe("backward");
        JsonNode.DeepEquals(JsonNode.Parse(accepted.Data.GetProperty("schemata").GetRawText()), Version2()).ShouldBeTrue();

        var refused = await Put("user.created", PhoneRequired());

        var problem = refused.ShouldBeProblem(409);
        refused.Errors.ShouldBe([("/properties/phone", "property became required", "required")]);
        problem.GetProperty("detail").GetString()!.ShouldContain("user.created.v2");
        (await Api.Get("/v1/actions/user.created")).Data.GetProperty("version").GetInt32().ShouldBe(2);
        (await StoredVersions()).ShouldBe(2);
    }

    [Fact]
    public async Task versions_list_the_history_and_each_version_keeps_its_schema()
    {
        await Api.RegisteredApplication();
        await Api.DefinedAction("user.created", Version1());
        await Put("user.created", Version2());

        var list = await Api.Get("/v1/actions/user.created/versions");

        list.Data.EnumerateArray().Select(v => v.GetProperty("version").GetInt32()).ShouldBe([1, 2]);
        list.Body.GetProperty("meta").GetProperty("next").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
        var first = await Api.Get("/v1/actions/user.created/versions/1");
        JsonNode.DeepEquals(JsonNode.Parse(first.Data.GetProperty("schemata").GetRawText()), Version1()).ShouldBeTrue();
        (await Api.Get("/v1/actions/user.created/versions/2")).Data.GetProperty("version").GetInt32().ShouldBe(2);
        (await Api.Get("/v1/actions/user.created/versions/3")).ShouldBeProblem(404);
        var page = await Api.Get("/v1/actions/user.created/versions?limit=1");
        page.Body.GetProperty("meta").GetProperty("next").GetString().ShouldBe("1");
        (await Api.Get("/v1/actions/user.created/versions?after=1")).Data.EnumerateArray().Single().GetProperty("version").GetInt32().ShouldBe(2);
    }

    [Fact]
    public async Task each_event_records_the_schema_version_it_was_validated_against()
    {
        await Api.RegisteredApplication();
        await Api.DefinedAction("user.created", Version1());
        var before = await Api.Published("user.created", new JsonObject { ["id"] = "u1", ["email"] = "a@example.com" });
        await Put("user.created", Version2());

        var after = await Api.Published("user.created", new JsonObject { ["id"] = "u2", ["email"] = "b@example.com", ["phone"] = "+1 555" });

        before.GetProperty("schema_version").GetInt32().ShouldBe(1);
        after.GetProperty("schema_version").GetInt32().ShouldBe(2);
        var read = await Api.Get("/v1/events?action=user.created");
        read.Data.EnumerateArray().Select(e => e.GetProperty("schema_version").GetInt32()).ShouldBe([1, 2]);
    }

    [Fact]
    public async Task the_new_schema_is_the_one_publishes_are_checked_against_at_once()
    {
        await Api.RegisteredApplication();
        await Api.DefinedAction("user.created", Version2());
        (await Put("user.created", PhoneRequired(), compatibility: "none")).Data.GetProperty("version").GetInt32().ShouldBe(2);

        var refused = await Api.Post("/v1/events", new JsonObject { ["action"] = "user.created", ["payload"] = new JsonObject { ["id"] = "u1" } }.ToJsonString());

        refused.ShouldBeProblem(422);
        refused.Errors.ShouldContain(e => e.Keyword == "required");
        (await StoredEvents()).ShouldBe(0);
    }

    [Fact]
    public async Task a_mode_given_with_the_change_judges_it_and_stays_with_the_action()
    {
        await Api.RegisteredApplication();
        await Api.DefinedAction("user.created", Version1());

        (await Put("user.created", Version2(), compatibility: "forward")).Data.GetProperty("compatibility").GetString().ShouldBe("forward");

        // Forward: every payload valid under a new schema must have been valid before, so widening
        // a type is refused and requiring a field is not.
        var widened = Version2();
        widened["properties"]!["phone"] = JsonNode.Parse("""{"type":["string","null"]}""");
        var refused = await Put("user.created", widened);
        refused.ShouldBeProblem(409);
        refused.Errors.ShouldContain(e => e.Pointer == "/properties/phone/type" && e.Message == "[string, null] widened from string");
        (await Put("user.created", PhoneRequired())).Data.GetProperty("version").GetInt32().ShouldBe(3);
    }

    [Fact]
    public async Task racing_changes_make_contiguous_versions_and_the_losers_are_told_409()
    {
        await Api.RegisteredApplication();
        await Api.DefinedAction("user.created", Version1());

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
        {
            var schema = Version1();
            schema["properties"]![$"field_{i}"] = JsonNode.Parse("""{"type":"string"}""");
            return Put("user.created", schema);
        }));

        answers.Select(a => (int)a.Status).ShouldAllBe(status => status == 200 || status == 409);
        foreach (var lost in answers.Where(a => (int)a.Status == 409)) lost.ShouldBeProblem(409);
        var won = answers.Count(a => (int)a.Status == 200);
        won.ShouldBeGreaterThan(0);
        var versions = (await Api.Get("/v1/actions/user.created/versions")).Data.EnumerateArray().Select(v => v.GetProperty("version").GetInt32()).ToList();
        versions.ShouldBe(Enumerable.Range(1, won + 1).ToList());
        answers.Where(a => (int)a.Status == 200).Select(a => a.Data.GetProperty("version").GetInt32()).Order().ShouldBe(Enumerable.Range(2, won).ToList());
        (await Api.Get("/v1/actions/user.created")).Data.GetProperty("version").GetInt32().ShouldBe(won + 1);
    }

    [Fact]
    public async Task putting_the_same_schema_again_changes_nothing()
    {
        await Api.RegisteredApplication();
        await Api.DefinedAction("user.created", Version1());
        await Put("user.created", Version2());

        var again = await Put("user.created", Version2());

        ((int)again.Status).ShouldBe(200, again.Text);
        again.Data.GetProperty("version").GetInt32().ShouldBe(2);
        (await StoredVersions()).ShouldBe(2);
    }

    [Fact]
    public async Task only_the_owner_or_the_administrator_changes_an_action()
    {
        await Api.RegisteredApplication();
        await Api.RegisteredApplication("billing", "https://billing.example.com");
        await Api.DefinedAction("user.created", Version1());
        var billing = await Fixture.Anonymous().WithTokenFor("billing");
        var owner = await Fixture.Anonymous().WithTokenFor("user-service");

        var foreign = await Put("user.created", Version2(), api: billing);
        var anonymous = await Put("user.created", Version2(), api: Fixture.Anonymous());

        foreign.ShouldBeProblem(403);
        anonymous.ShouldBeProblem(401);
        (await StoredVersions()).ShouldBe(1);
        (await Put("user.created", Version2(), api: owner)).Data.GetProperty("version").GetInt32().ShouldBe(2);
    }

    [Theory]
    [InlineData("""{"compatibility":"backward"}""", "/schemata")]
    [InlineData("""{"schemata":{"type":"strin"}}""", "/schemata")]
    [InlineData("""{"schemata":{},"compatibility":"sideways"}""", "/compatibility")]
    public async Task a_malformed_change_is_400_naming_the_field_and_nothing_is_saved(string body, string pointer)
    {
        await Api.RegisteredApplication();
        await Api.DefinedAction("user.created", Version1());

        var answer = await Api.Put("/v1/actions/user.created", body);

        answer.ShouldBeProblem(400);
        answer.Errors.Select(e => e.Pointer).ShouldContain(pointer);
        (await StoredVersions()).ShouldBe(1);
        (await Api.Get("/v1/actions/user.created")).Data.GetProperty("version").GetInt32().ShouldBe(1);
    }

    [Fact]
    public async Task changing_an_unknown_action_is_404_and_bad_json_is_400()
    {
        await Api.RegisteredApplication();

        (await Put("user.nothing", Version2())).ShouldBeProblem(404);
        await Api.DefinedAction("user.created", Version1());
        (await Api.Put("/v1/actions/user.created", """{"schemata": """)).ShouldBeProblem(400);
        (await StoredVersions()).ShouldBe(1);
    }

    [Fact]
    public async Task the_dry_run_gives_the_verdict_and_counts_stored_payloads_the_candidate_would_refuse()
    {
        await Api.RegisteredApplication();
        await Api.DefinedAction("user.created", Version2());
        await Api.Published("user.created", new JsonObject { ["id"] = "u1", ["email"] = "a@example.com" });
        var withPhone = await Api.Published("user.created", new JsonObject { ["id"] = "u2", ["email"] = "b@example.com", ["phone"] = "+1 555" });
        var withoutPhone = await Api.Published("user.created", new JsonObject { ["id"] = "u3", ["email"] = "c@example.com" });
        await Api.DefinedAction("user.deleted", new JsonObject());
        await Api.Published("user.deleted", new JsonObject { ["id"] = "u9" });

        var answer = await Api.Post("/v1/actions/user.created/check", new JsonObject { ["schemata"] = PhoneRequired() }.ToJsonString());

        ((int)answer.Status).ShouldBe(200, answer.Text);
        var report = answer.Data;
        report.GetProperty("compatible").GetBoolean().ShouldBeFalse();
        report.GetProperty("compatibility").GetString().ShouldBe("backward");
        report.GetProperty("version").GetInt32().ShouldBe(1);
        report.GetProperty("breaking").EnumerateArray().Select(b => b.GetProperty("pointer").GetString()).ShouldBe(["/properties/phone"]);
        var sample = report.GetProperty("sample");
        sample.GetProperty("limit").GetInt32().ShouldBe(1000);
        sample.GetProperty("checked").GetInt32().ShouldBe(3);
        sample.GetProperty("failing").GetInt32().ShouldBe(2);
        var examples = sample.GetProperty("examples").EnumerateArray().ToList();
        examples.Select(e => e.GetProperty("rowid").GetInt64()).ShouldBe([withoutPhone.GetProperty("rowid").GetInt64(), withoutPhone.GetProperty("rowid").GetInt64() - 2]);
        examples.ShouldAllBe(e => e.GetProperty("pointer").GetString() == "/payload" && e.GetProperty("message").GetString()!.Contains("phone"));
        withPhone.GetProperty("rowid").GetInt64().ShouldBe(withoutPhone.GetProperty("rowid").GetInt64() - 1);

        (await StoredVersions()).ShouldBe(1);
        (await Api.Get("/v1/actions/user.created")).Data.GetProperty("version").GetInt32().ShouldBe(1);

        // The sample is the action's latest AMEBO_CHECK_SAMPLE events, newest first.
        var reader = Fixture.Host.Services.GetRequiredService<Amebo.Platform.Events.EventReader>();
        (await reader.LatestAsync("user.created", 2, CancellationToken.None)).Select(e => e.Rowid)
            .ShouldBe([withoutPhone.GetProperty("rowid").GetInt64(), withPhone.GetProperty("rowid").GetInt64()]);
    }

    [Fact]
    public async Task the_dry_run_of_a_compatible_change_is_compatible_and_any_token_may_ask()
    {
        await Api.RegisteredApplication();
        await Api.RegisteredApplication("billing", "https://billing.example.com");
        await Api.DefinedAction("user.created", Version1());
        await Api.Published("user.created", new JsonObject { ["id"] = "u1", ["email"] = "a@example.com" });
        var billing = await Fixture.Anonymous().WithTokenFor("billing");

        var answer = await billing.Post("/v1/actions/user.created/check", new JsonObject { ["schemata"] = Version2() }.ToJsonString());

        ((int)answer.Status).ShouldBe(200, answer.Text);
        answer.Data.GetProperty("compatible").GetBoolean().ShouldBeTrue();
        answer.Data.GetProperty("breaking").GetArrayLength().ShouldBe(0);
        answer.Data.GetProperty("sample").GetProperty("failing").GetInt32().ShouldBe(0);
        (await Fixture.Anonymous().Post("/v1/actions/user.created/check", new JsonObject { ["schemata"] = Version2() }.ToJsonString())).ShouldBeProblem(401);
        (await Api.Post("/v1/actions/user.nothing/check", new JsonObject { ["schemata"] = Version2() }.ToJsonString())).ShouldBeProblem(404);
        (await StoredVersions()).ShouldBe(1);
    }
}
