using System.Text.Json.Nodes;
using Amebo.Tests.Fixtures;

namespace Amebo.Tests.Events;

/// <summary>
/// Concurrent publishes are committed in groups. Whatever shares a commit, every request gets its
/// own right answer: plain publishes to shared streams, expected versions that hold and that fail,
/// repeated idempotency keys and invalid payloads, all at once.
/// </summary>
public sealed class when_publishes_share_a_commit(AmeboFixture fixture) : AmeboTest(fixture)
{
    [Fact]
    public async Task every_request_gets_its_own_answer_and_nothing_is_lost_or_duplicated()
    {
        await Api.SeedUserCreated();
        string Event(string stream, long? expected = null, string email = "mixed@example.com")
        {
            var body = new JsonObject { ["action"] = "user.created", ["payload"] = Seed.User("44444444-4444-4444-8444-444444444444", email), ["stream"] = stream };
            if (expected is not null) body["expected_version"] = expected;
            return body.ToJsonString();
        }
        var requests = new List<(string Kind, Func<Task<Answer>> Send)>();
        foreach (var i in Enumerable.Range(0, 80)) requests.Add(("shared", () => Api.Post("/v1/events", Event($"user:shared-{i % 4}"))));
        foreach (var i in Enumerable.Range(0, 20)) requests.Add(("fresh-expected", () => Api.Post("/v1/events", Event($"user:fresh-{i}", expected: 0))));
        foreach (var i in Enumerable.Range(0, 20)) requests.Add(("wrong-expected", () => Api.Post("/v1/events", Event($"user:shared-{i % 4}", expected: 100_000))));
        foreach (var i in Enumerable.Range(0, 20))
        {
            var key = $"mixed-key-{i / 2}";
            var body = Event($"user:keyed-{i / 2}");
            requests.Add(("keyed", () => Api.PostRaw("/v1/events", body, headers: new Dictionary<string, string> { ["Idempotency-Key"] = key })));
        }
        foreach (var _ in Enumerable.Range(0, 20)) requests.Add(("invalid", () => Api.Post("/v1/events", Event("user:shared-0", email: "not-an-email"))));
        var shuffled = requests.OrderBy(_ => Random.Shared.Next()).ToList();

        var answers = await Task.WhenAll(shuffled.Select(r => Task.Run(async () => (r.Kind, Answer: await r.Send()))));

        foreach (var (kind, answer) in answers)
        {
            var status = (int)answer.Status;
            switch (kind)
            {
                case "shared" or "fresh-expected": status.ShouldBe(201, answer.Text); break;
                case "wrong-expected": answer.ShouldBeProblem(409); break;
                case "keyed": status.ShouldBeOneOf([200, 201], answer.Text); break;
                default: answer.ShouldBeProblem(422); break;
            }
        }
        answers.Where(a => a.Kind == "keyed").GroupBy(a => a.Answer.Data.GetProperty("stream").GetString())
            .ShouldAllBe(g => g.Select(a => a.Answer.Data.GetProperty("rowid").GetInt64()).Distinct().Count() == 1 && g.Count(a => (int)a.Answer.Status == 201) == 1);
        answers.Where(a => a.Kind == "fresh-expected").ShouldAllBe(a => a.Answer.Data.GetProperty("version").GetInt64() == 1);

        (await StoredEvents()).ShouldBe(80 + 20 + 10);
        for (var s = 0; s < 4; s++)
        {
            var versions = answers.Where(a => a.Kind == "shared" && a.Answer.Data.GetProperty("stream").GetString() == $"user:shared-{s}")
                .Select(a => a.Answer.Data.GetProperty("version").GetInt64()).Order().ToList();
            versions.ShouldBe(Enumerable.Range(1, 20).Select(v => (long)v));
        }
        var all = (await Api.Get("/v1/events?limit=1000")).Data.EnumerateArray().Select(e => e.GetProperty("rowid").GetInt64()).ToList();
        all.Distinct().Count().ShouldBe(all.Count);
    }
}
