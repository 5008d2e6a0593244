using System.Text.Json;
using System.Text.Json.Nodes;
using Amebo.Tests.Fixtures;

namespace Amebo.Tests.ReadModels;

public sealed class when_reading_projections(AmeboFixture fixture) : AmeboTest(fixture)
{
    [Fact]
    public async Task the_seeds_three_events_fold_into_the_expected_profile_at_once()
    {
        var published = await Seed.PublishUserLifecycle(Api);

        var answer = await Api.Get("/v1/projections/user-profiles/user-123");

        ((int)answer.Status).ShouldBe(200, answer.Text);
        var profile = answer.Data;
        profile.GetProperty("id").GetString().ShouldBe("user-123");
        profile.GetProperty("email").GetString().ShouldBe("john@example.com");
        profile.GetProperty("email_verified").GetBoolean().ShouldBeTrue();
        profile.GetProperty("email_verified_at").GetString().ShouldBe("2024-12-10T11:00:00Z");
        profile.GetProperty("name").GetString().ShouldBe("John Doe");
        profile.GetProperty("version").GetInt64().ShouldBe(3);
        profile.GetProperty("updated_at").GetString().ShouldBe(published[2].GetProperty("timestamp").GetString());
    }

    [Fact]
    public async Task a_status_change_sets_the_status_and_field_names_keep_their_case()
    {
        await Seed.PublishUserLifecycle(Api);
        await Api.DefinedAction("user.status_changed", new JsonObject(), stream: "/user_id");

        await Api.Published("user.status_changed", new JsonObject { ["user_id"] = "user-123", ["new_status"] = "active", ["old_status"] = "pending" });
        await Api.Published("user.profile_updated", new JsonObject { ["id"] = "user-123", ["displayName"] = "JD" });

        var profile = (await Api.Get("/v1/projections/user-profiles/user-123")).Data;
        profile.GetProperty("status").GetString().ShouldBe("active");
        profile.GetProperty("displayName").GetString().ShouldBe("JD");
        profile.TryGetProperty("old_status", out _).ShouldBeFalse();
        profile.GetProperty("version").GetInt64().ShouldBe(5);
    }

    [Fact]
    public async Task only_user_streams_become_profiles()
    {
        await Seed.PublishUserLifecycle(Api);
        await Api.DefinedAction("order.placed", new JsonObject());
        await Api.Published("order.placed", new JsonObject { ["id"] = "o-1" });

        var list = await Api.Get("/v1/projections/user-profiles");

        list.Data.EnumerateArray().Select(p => p.GetProperty("id").GetString()).ShouldBe(["user-123"]);
    }

    [Fact]
    public async Task filters_documents_on_top_level_fields_and_pages_them()
    {
        await Api.RegisteredApplication();
        await Api.DefinedAction("user.created", new JsonObject());
        foreach (var (id, plan) in new[] { ("u1", "pro"), ("u2", "free"), ("u3", "pro"), ("u4", "pro") })
        {
            await Api.Published("user.created", new JsonObject { ["id"] = id, ["plan"] = plan });
        }

        var first = await Api.Get("/v1/projections/user-profiles?plan=pro&limit=2");
        first.Data.EnumerateArray().Select(p => p.GetProperty("id").GetString()).ShouldBe(["u1", "u3"]);
        var next = first.Body.GetProperty("meta").GetProperty("next").GetString();
        next.ShouldBe("u3");
        var second = await Api.Get($"/v1/projections/user-profiles?plan=pro&limit=2&after={next}");
        second.Data.EnumerateArray().Select(p => p.GetProperty("id").GetString()).ShouldBe(["u4"]);
        second.Body.GetProperty("meta").GetProperty("next").ValueKind.ShouldBe(JsonValueKind.Null);
        (await Api.Get("/v1/projections/user-profiles?version=1&plan=free")).Data.GetArrayLength().ShouldBe(1);
        (await Api.Get("/v1/projections/user-profiles?plan=enterprise")).Data.GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task action_stats_count_every_action_once_the_daemon_has_caught_up()
    {
        var published = await Seed.PublishUserLifecycle(Api);
        var last = (await Api.Published("user.profile_updated", new JsonObject { ["id"] = "user-9", ["name"] = "Nine" })).GetProperty("rowid").GetInt64();

        var stats = await Api.Get($"/v1/projections/action-stats/user.profile_updated?wait_for={last}");

        ((int)stats.Status).ShouldBe(200, stats.Text);
        stats.Data.GetProperty("action").GetString().ShouldBe("user.profile_updated");
        stats.Data.GetProperty("count").GetInt64().ShouldBe(2);
        stats.Data.GetProperty("first_rowid").GetInt64().ShouldBe(published[2].GetProperty("rowid").GetInt64());
        stats.Data.GetProperty("last_rowid").GetInt64().ShouldBe(last);
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd");
        stats.Data.GetProperty("per_day").GetProperty(today).GetInt64().ShouldBe(2);
        stats.Data.GetProperty("first_at").GetString().ShouldBe(published[2].GetProperty("timestamp").GetString());

        var all = await Api.Get($"/v1/projections/action-stats?wait_for={last}");
        all.Data.EnumerateArray().Select(s => s.GetProperty("action").GetString()).ShouldBe(["user.created", "user.email_verified", "user.profile_updated"]);
        all.Body.GetProperty("meta").GetProperty("projection").GetProperty("position").GetInt64().ShouldBeGreaterThanOrEqualTo(last);
    }

    [Fact]
    public async Task wait_for_a_position_not_reached_answers_409_with_the_current_position()
    {
        await Seed.PublishUserLifecycle(Api);

        var answer = await Api.Get("/v1/projections/action-stats/user.created?wait_for=99999999");

        answer.ShouldBeProblem(409).GetProperty("position").GetInt64().ShouldBeLessThan(99999999);
    }

    [Fact]
    public async Task lists_every_projection_with_its_position()
    {
        var published = await Seed.PublishUserLifecycle(Api);
        var last = published[2].GetProperty("rowid").GetInt64();
        await Api.Get($"/v1/projections/action-stats?wait_for={last}");

        var answer = await Api.Get("/v1/projections");

        var projections = answer.Data.EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
        projections.Keys.ShouldBe(["user-profiles", "action-stats"], ignoreOrder: true);
        projections["user-profiles"].GetProperty("lifecycle").GetString().ShouldBe("inline");
        projections["action-stats"].GetProperty("lifecycle").GetString().ShouldBe("async");
        foreach (var p in projections.Values)
        {
            p.GetProperty("status").GetString().ShouldBe("running");
            p.GetProperty("high_water_mark").GetInt64().ShouldBeGreaterThanOrEqualTo(last);
            p.GetProperty("position").GetInt64().ShouldBeGreaterThanOrEqualTo(last);
            p.GetProperty("lag").GetInt64().ShouldBe(0);
        }
    }

    [Theory]
    [InlineData("/v1/projections/user-profiles/nobody")]
    [InlineData("/v1/projections/nothing-like-it/x")]
    [InlineData("/v1/projections/nothing-like-it")]
    public async Task answers_404_for_what_does_not_exist(string url)
    {
        (await Api.Get(url)).ShouldBeProblem(404);
    }

    [Theory]
    [InlineData("/v1/projections/user-profiles?limit=0")]
    [InlineData("/v1/projections/user-profiles?wait_for=abc")]
    [InlineData("/v1/projections/user-profiles/u1?wait_for=-1")]
    public async Task refuses_bad_parameters_with_400(string url)
    {
        (await Api.Get(url)).ShouldBeProblem(400);
    }

    [Fact]
    public async Task reads_need_a_token()
    {
        (await Fixture.Anonymous().Get("/v1/projections")).ShouldBeProblem(401);
        (await Fixture.Anonymous().Get("/v1/projections/user-profiles/u1")).ShouldBeProblem(401);
    }
}
