using System.Text.Json.Nodes;
using Amebo.Tests.Fixtures;

namespace Amebo.Tests.Events;

public sealed class when_publishing_with_an_idempotency_key(AmeboFixture fixture) : AmeboTest(fixture)
{
    private static string Alice(string name = "Alice Johnson")
    {
        var payload = Seed.Alice();
        payload["name"] = name;
        return new JsonObject { ["action"] = "user.created", ["payload"] = payload }.ToJsonString();
    }

    private Task<Answer> Publish(string body, string key, Api? api = null) =>
        (api ?? Api).PostRaw("/v1/events", body, headers: new Dictionary<string, string> { ["Idempotency-Key"] = key });

    private static string? Replayed(Answer answer) =>
        answer.Response.Headers.TryGetValues("Idempotent-Replayed", out var values) ? values.Single() : null;

    [Fact]
    public async Task a_repeat_returns_the_original_result_and_appends_nothing()
    {
        await Api.SeedUserCreated();

        var first = await Publish(Alice(), "signup-alice-1");
        var repeat = await Publish(Alice(), "signup-alice-1");

        ((int)first.Status).ShouldBe(201, first.Text);
        Replayed(first).ShouldBeNull();
        ((int)repeat.Status).ShouldBe(200, repeat.Text);
        Replayed(repeat).ShouldBe("true");
        repeat.Data.ToString().ShouldBe(first.Data.ToString());
        (await StoredEvents()).ShouldBe(1);
    }

    [Fact]
    public async Task the_same_body_with_other_whitespace_is_the_same_request()
    {
        await Api.SeedUserCreated();
        var body = Alice();

        await Publish(body, "k-1");
        var repeat = await Publish(JsonNode.Parse(body)!.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }), "k-1");

        ((int)repeat.Status).ShouldBe(200, repeat.Text);
        (await StoredEvents()).ShouldBe(1);
    }

    [Fact]
    public async Task the_same_key_with_another_body_is_409_and_appends_nothing()
    {
        await Api.SeedUserCreated();
        await Publish(Alice(), "signup-alice-1");

        var other = await Publish(Alice("Alice Cooper"), "signup-alice-1");

        other.ShouldBeProblem(409).GetProperty("detail").GetString()!.ShouldContain("signup-alice-1");
        (await StoredEvents()).ShouldBe(1);
    }

    [Fact]
    public async Task racing_repeats_append_once()
    {
        await Api.SeedUserCreated();
        var body = Alice();

        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => Publish(body, "race-key"))));

        answers.Where(a => (int)a.Status is not (200 or 201)).Select(a => a.Text).ShouldBeEmpty();
        answers.Count(a => (int)a.Status == 201).ShouldBe(1);
        answers.Select(a => a.Data.GetProperty("rowid").GetInt64()).Distinct().Count().ShouldBe(1);
        (await StoredEvents()).ShouldBe(1);
    }

    [Fact]
    public async Task keys_belong_to_the_publishing_application()
    {
        await Api.SeedUserCreated();
        await Api.RegisteredApplication("order-service", "https://orders.example.com");
        await Api.DefinedAction("order.placed", new JsonObject(), application: "order-service");
        var orders = await Api.WithTokenFor("order-service");

        var user = await Publish(Alice(), "shared-key", await Api.WithTokenFor("user-service"));
        var order = await Publish("""{"action":"order.placed","payload":{"id":"o-1"}}""", "shared-key", orders);

        ((int)user.Status).ShouldBe(201);
        ((int)order.Status).ShouldBe(201, order.Text);
        (await StoredEvents()).ShouldBe(2);
    }

    [Fact]
    public async Task a_refused_publish_does_not_use_up_its_key()
    {
        await Api.SeedUserCreated();
        var invalid = JsonNode.Parse(Alice())!;
        invalid["payload"]!["email"] = "invalid-email";

        (await Publish(invalid.ToJsonString(), "k-2")).ShouldBeProblem(422);
        var valid = await Publish(Alice(), "k-2");

        ((int)valid.Status).ShouldBe(201, valid.Text);
    }

    [Fact]
    public async Task an_expired_key_can_be_used_again()
    {
        await Api.SeedUserCreated();
        await Publish(Alice(), "old-key");
        await Fixture.CountAsync("with aged as (update amebo.idempotency_keys set created_at = now() - interval '25 hours' returning 1) select count(*) from aged");

        var again = await Publish(Alice("Alice Again"), "old-key");

        ((int)again.Status).ShouldBe(201, again.Text);
        (await StoredEvents()).ShouldBe(2);
    }

    [Theory]
    [InlineData(256)]
    public async Task refuses_a_key_of_the_wrong_length_with_400(int length)
    {
        await Api.SeedUserCreated();

        (await Publish(Alice(), new string('k', length))).ShouldBeProblem(400);
        (await StoredEvents()).ShouldBe(0);
    }

    [Fact]
    public async Task a_batch_repeat_under_the_header_returns_every_original_result()
    {
        await Api.SeedUserCreated();
        var batch = new JsonObject
        {
            ["events"] = new JsonArray(JsonNode.Parse(Alice()), new JsonObject { ["action"] = "user.created", ["payload"] = Seed.User("11111111-1111-4111-8111-111111111111") }),
        }.ToJsonString();
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = "batch-1" };

        var first = await Api.PostRaw("/v1/events/batch", batch, headers: headers);
        var repeat = await Api.PostRaw("/v1/events/batch", batch, headers: headers);

        ((int)first.Status).ShouldBe(201, first.Text);
        ((int)repeat.Status).ShouldBe(200, repeat.Text);
        Replayed(repeat).ShouldBe("true");
        repeat.Data.ToString().ShouldBe(first.Data.ToString());
        (await StoredEvents()).ShouldBe(2);
    }

    [Fact]
    public async Task batch_items_with_known_keys_are_replayed_and_the_rest_appended()
    {
        await Api.SeedUserCreated();
        JsonObject Item(string id, string key) => new()
        {
            ["action"] = "user.created", ["payload"] = Seed.User(id), ["idempotency_key"] = key,
        };
        var first = await Api.Post("/v1/events/batch", new JsonObject { ["events"] = new JsonArray(Item("11111111-1111-4111-8111-111111111111", "item-1")) }.ToJsonString());

        var second = await Api.Post("/v1/events/batch", new JsonObject
        {
            ["events"] = new JsonArray(Item("11111111-1111-4111-8111-111111111111", "item-1"), Item("22222222-2222-4222-8222-222222222222", "item-2")),
        }.ToJsonString());

        ((int)second.Status).ShouldBe(201, second.Text);
        second.Data[0].GetProperty("rowid").GetInt64().ShouldBe(first.Data[0].GetProperty("rowid").GetInt64());
        second.Data[1].GetProperty("stream").GetString().ShouldBe("user:22222222-2222-4222-8222-222222222222");
        (await StoredEvents()).ShouldBe(2);

        var clash = await Api.Post("/v1/events/batch", new JsonObject
        {
            ["events"] = new JsonArray(Item("33333333-3333-4333-8333-333333333333", "item-1")),
        }.ToJsonString());
        clash.ShouldBeProblem(409);
        clash.Errors.ShouldContain(e => e.Pointer == "/events/0/idempotency_key");
        (await StoredEvents()).ShouldBe(2);
    }
}
