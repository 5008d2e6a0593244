using System.Text.Json.Nodes;
using Amebo.Tests.Fixtures;
using Npgsql;

namespace Amebo.Tests.ReadModels;

public sealed class when_rebuilding_projections(AmeboFixture fixture) : AmeboTest(fixture)
{
    private async Task<List<string>> UserIds(int users, int updatesEach)
    {
        await Api.RegisteredApplication();
        await Api.DefinedAction("user.created", new JsonObject());
        await Api.DefinedAction("user.profile_updated", new JsonObject());
        var ids = Enumerable.Range(0, users).Select(i => $"u{i:D4}").ToList();
        var items = ids.Select(id => new JsonObject { ["action"] = "user.created", ["payload"] = new JsonObject { ["id"] = id, ["email"] = $"{id}@example.com" } })
            .Concat(Enumerable.Range(0, updatesEach).SelectMany(n => ids.Select(id =>
                new JsonObject { ["action"] = "user.profile_updated", ["payload"] = new JsonObject { ["id"] = id, ["name"] = $"{id} #{n}" } })))
            .ToList();
        foreach (var chunk in items.Chunk(1000))
        {
            var answer = await Api.Post("/v1/events/batch", new JsonObject { ["events"] = new JsonArray(chunk.Select(JsonNode (c) => c).ToArray()) }.ToJsonString());
            ((int)answer.Status).ShouldBe(201, answer.Text);
        }
        return ids;
    }

    private async Task<List<string>> StoredProfiles()
    {
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select id || ' ' || data::text from amebo.mt_doc_user_profile order by id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        return rows;
    }

    private async Task<JsonNode> StatusOf(string name) =>
        JsonNode.Parse((await Api.Get("/v1/projections")).Data.EnumerateArray().Single(p => p.GetProperty("name").GetString() == name).GetRawText())!;

    private async Task UntilRebuilt(string name)
    {
        for (var i = 0; i < 1200; i++)
        {
            if ((await StatusOf(name))["status"]!.GetValue<string>() == "running") return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"{name} was still rebuilding after two minutes.");
    }

    [Fact]
    public async Task events_of_other_actions_on_user_streams_are_folded_live_and_by_a_rebuild_alike()
    {
        await UserIds(users: 3, updatesEach: 1);
        await Api.DefinedAction("order.placed", new JsonObject());
        await Api.Published("order.placed", new JsonObject { ["id"] = "o-1" });
        await Api.Published("order.placed", new JsonObject { ["id"] = "o-2" }, stream: "user:u0001");
        var live = await StoredProfiles();
        live.Count.ShouldBe(3);
        (await Api.Get("/v1/projections/user-profiles/u0001")).Data.GetProperty("version").GetInt64().ShouldBe(3);
        (await Api.Get("/v1/projections/user-profiles/u0000")).Data.GetProperty("version").GetInt64().ShouldBe(2);

        await Fixture.CountAsync("with gone as (delete from amebo.mt_doc_user_profile returning 1) select count(*) from gone");
        ((int)(await Api.Post("/v1/projections/user-profiles/rebuild", "")).Status).ShouldBe(202);
        await UntilRebuilt("user-profiles");

        (await StoredProfiles()).ShouldBe(live);
    }

    [Fact]
    public async Task a_rebuild_after_deleting_the_documents_reproduces_them_exactly()
    {
        await UserIds(users: 40, updatesEach: 2);
        var live = await StoredProfiles();
        live.Count.ShouldBe(40);
        await Fixture.CountAsync("with gone as (delete from amebo.mt_doc_user_profile returning 1) select count(*) from gone");
        (await StoredProfiles()).ShouldBeEmpty();

        var answer = await Api.Post("/v1/projections/user-profiles/rebuild", "");

        ((int)answer.Status).ShouldBe(202, answer.Text);
        answer.Data.GetProperty("status").GetString().ShouldBe("rebuilding");
        await UntilRebuilt("user-profiles");
        (await StoredProfiles()).ShouldBe(live);
    }

    [Fact]
    public async Task a_second_rebuild_while_one_runs_is_409_and_progress_shows_meanwhile()
    {
        await UserIds(users: 500, updatesEach: 5);

        var first = await Api.Post("/v1/projections/user-profiles/rebuild", "");
        var second = await Api.Post("/v1/projections/user-profiles/rebuild", "");
        var during = await Api.Get("/v1/projections/user-profiles?limit=1");

        ((int)first.Status).ShouldBe(202, first.Text);
        second.ShouldBeProblem(409);
        var meta = during.Body.GetProperty("meta").GetProperty("projection");
        if (meta.GetProperty("status").GetString() == "rebuilding")
        {
            meta.TryGetProperty("processed", out _).ShouldBeTrue();
            meta.TryGetProperty("total", out _).ShouldBeTrue();
            meta.GetProperty("percent").GetDouble().ShouldBeInRange(0, 100);
        }
        await UntilRebuilt("user-profiles");
        ((int)(await Api.Post("/v1/projections/user-profiles/rebuild", "")).Status).ShouldBe(202);
        await UntilRebuilt("user-profiles");
    }

    [Fact]
    public async Task events_published_during_a_rebuild_are_in_the_result()
    {
        var ids = await UserIds(users: 300, updatesEach: 5);

        ((int)(await Api.Post("/v1/projections/user-profiles/rebuild", "")).Status).ShouldBe(202);
        var owner = await Api.WithTokenFor("user-service");
        foreach (var id in ids.Take(60))
        {
            await owner.Published("user.profile_updated", new JsonObject { ["id"] = id, ["name"] = $"{id} final" });
        }
        await UntilRebuilt("user-profiles");

        foreach (var id in ids.Take(60))
        {
            var profile = (await Api.Get($"/v1/projections/user-profiles/{id}")).Data;
            profile.GetProperty("name").GetString().ShouldBe($"{id} final");
            profile.GetProperty("version").GetInt64().ShouldBe(7);
        }
        (await StoredProfiles()).Count.ShouldBe(300);
    }

    [Fact]
    public async Task an_async_projection_rebuilds_to_the_same_counts()
    {
        await UserIds(users: 30, updatesEach: 3);
        var last = (await Api.Get("/v1/events?limit=1000")).Data.EnumerateArray().Last().GetProperty("rowid").GetInt64();
        var before = (await Api.Get($"/v1/projections/action-stats?wait_for={last}")).Data.ToString();

        ((int)(await Api.Post("/v1/projections/action-stats/rebuild", "")).Status).ShouldBe(202);
        await UntilRebuilt("action-stats");

        (await Api.Get($"/v1/projections/action-stats?wait_for={last}")).Data.ToString().ShouldBe(before);
    }

    [Fact]
    public async Task only_the_administrator_may_rebuild()
    {
        await Api.RegisteredApplication();
        var application = await Api.WithTokenFor("user-service");

        (await application.Post("/v1/projections/user-profiles/rebuild", "")).ShouldBeProblem(403);
        (await Fixture.Anonymous().Post("/v1/projections/user-profiles/rebuild", "")).ShouldBeProblem(401);
        (await Api.Post("/v1/projections/nothing/rebuild", "")).ShouldBeProblem(404);
    }
}
