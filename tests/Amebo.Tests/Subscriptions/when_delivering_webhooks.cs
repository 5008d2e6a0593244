using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amebo.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Amebo.Tests.Subscriptions;

public sealed class when_delivering_webhooks(AmeboFixture fixture) : AmeboTest(fixture), IAsyncLifetime
{
    private WebhookReceiver _receiver = null!;

    async Task IAsyncLifetime.InitializeAsync()
    {
        await InitializeAsync();
        _receiver = await WebhookReceiver.StartAsync();
    }

    async Task IAsyncLifetime.DisposeAsync() => await _receiver.DisposeAsync();

    /// <summary>The seed's user-service publishing user.created, and a mailer subscribed to it at the receiver.</summary>
    private async Task<JsonElement> Subscribed(int maxRetries = 8)
    {
        await Api.SeedUserCreated();
        await Api.RegisteredApplication("mailer", _receiver.Address);
        var mailer = await Api.WithTokenFor("mailer");
        var answer = await mailer.Post("/v1/subscriptions", new { application = "mailer", action = "user.created", handler = "/hooks/user-created", max_retries = maxRetries });
        ((int)answer.Status).ShouldBe(201, answer.Text);
        return answer.Data;
    }

    private async Task<JsonElement> Gist(string subscription, string status)
    {
        for (var i = 0; i < 400; i++)
        {
            var gists = (await Api.Get($"/v1/gists?subscription={subscription}&status={status}")).Data;
            if (gists.GetArrayLength() > 0) return gists[0];
            await Task.Delay(50);
        }
        throw new TimeoutException($"no {status} gist for {subscription}: {(await Api.Get($"/v1/gists?subscription={subscription}")).Text}");
    }

    /// <summary>Standard Webhooks verification, written here independently of Amebo's signer.</summary>
    private static bool SignatureHolds(Received request, string secret)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signed = $"{request.Headers["webhook-id"]}.{request.Headers["webhook-timestamp"]}.{request.Body}";
        using var hmac = new HMACSHA256(key);
        var expected = "v1," + Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(signed)));
        return request.Headers["webhook-signature"].Split(' ').Any(s => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(s), Encoding.UTF8.GetBytes(expected)));
    }

    [Fact]
    public async Task delivers_each_new_event_signed_to_the_subscribers_endpoint()
    {
        var subscription = await Subscribed();
        var secret = subscription.GetProperty("signing_secret").GetString()!;
        secret.ShouldStartWith("whsec_");
        Convert.FromBase64String(secret[6..]).Length.ShouldBeGreaterThanOrEqualTo(24);
        subscription.GetProperty("endpoint").GetString().ShouldBe(_receiver.Address + "/hooks/user-created");

        var published = await Api.Published("user.created", Seed.Alice());

        var request = (await _receiver.UntilReceived(1)).Single();
        request.Path.ShouldBe("/hooks/user-created");
        SignatureHolds(request, secret).ShouldBeTrue();
        SignatureHolds(request, "whsec_" + Convert.ToBase64String(new byte[32])).ShouldBeFalse();
        long.Parse(request.Headers["webhook-timestamp"]).ShouldBeInRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);
        var body = JsonNode.Parse(request.Body)!;
        body["id"]!.GetValue<string>().ShouldBe(published.GetProperty("id").GetString());
        body["rowid"]!.GetValue<long>().ShouldBe(published.GetProperty("rowid").GetInt64());
        body["action"]!.GetValue<string>().ShouldBe("user.created");
        body["stream"]!.GetValue<string>().ShouldBe(published.GetProperty("stream").GetString());
        body["version"]!.GetValue<long>().ShouldBe(1);
        body["timestamp"]!.GetValue<string>().ShouldBe(published.GetProperty("timestamp").GetString());
        JsonNode.DeepEquals(body["payload"], Seed.Alice()).ShouldBeTrue();

        var gist = await Gist(subscription.GetProperty("subscription").GetString()!, "delivered");
        gist.GetProperty("gist").GetString().ShouldBe(request.Headers["webhook-id"]);
        gist.GetProperty("attempts").GetArrayLength().ShouldBe(1);
        gist.GetProperty("attempts")[0].GetProperty("status_code").GetInt32().ShouldBe(200);
        (await Api.Get($"/v1/subscriptions/{subscription.GetProperty("subscription").GetString()}")).Text.ShouldNotContain(secret);
    }

    [Fact]
    public async Task retries_a_failing_endpoint_with_backoff_until_it_answers()
    {
        var subscription = await Subscribed();
        _receiver.AnswerWith(500, 503);

        await Api.Published("user.created", Seed.Alice());

        var requests = await _receiver.UntilReceived(3);
        requests.Select(r => r.Headers["webhook-id"]).Distinct().Count().ShouldBe(1);
        // The schedule here is 0.2 s then 0.4 s, each give or take 10%.
        (requests[1].At - requests[0].At).ShouldBeGreaterThan(TimeSpan.FromSeconds(0.17));
        (requests[2].At - requests[1].At).ShouldBeGreaterThan(TimeSpan.FromSeconds(0.35));
        var gist = await Gist(subscription.GetProperty("subscription").GetString()!, "delivered");
        gist.GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("status_code").GetInt32()).ShouldBe([500, 503, 200]);
    }

    [Fact]
    public async Task waits_as_long_as_retry_after_asks_on_429()
    {
        var subscription = await Subscribed();
        _receiver.AnswerWith(429);
        _receiver.RetryAfterSeconds = 1;

        await Api.Published("user.created", Seed.Alice());

        var requests = await _receiver.UntilReceived(2);
        // The schedule alone would retry after about 0.2 s.
        (requests[1].At - requests[0].At).ShouldBeGreaterThan(TimeSpan.FromSeconds(0.9));
        await Gist(subscription.GetProperty("subscription").GetString()!, "delivered");
    }

    [Fact]
    public async Task an_endpoint_slower_than_the_timeout_counts_as_a_failure_and_is_retried()
    {
        var subscription = await Subscribed();
        _receiver.AnswerWith(WebhookReceiver.Slow);

        await Api.Published("user.created", Seed.Alice());

        var gist = await Gist(subscription.GetProperty("subscription").GetString()!, "delivered");
        var attempts = gist.GetProperty("attempts").EnumerateArray().ToList();
        attempts.Count.ShouldBe(2);
        attempts[0].GetProperty("status_code").ValueKind.ShouldBe(JsonValueKind.Null);
        attempts[0].GetProperty("error").GetString()!.ShouldContain("no answer within 2 s");
        attempts[1].GetProperty("status_code").GetInt32().ShouldBe(200);
    }

    [Fact]
    public async Task concurrent_deliverers_never_claim_the_same_gist()
    {
        var subscription = await Subscribed();
        await Api.PutPaused(subscription.GetProperty("subscription").GetString()!, true);
        for (var i = 0; i < 10; i++)
        {
            await Api.Post("/v1/events/batch", new JsonObject
            {
                ["events"] = new JsonArray(Enumerable.Range(0, 30).Select(n => (JsonNode)new JsonObject
                {
                    ["action"] = "user.created", ["payload"] = Seed.User(Guid.NewGuid().ToString()),
                }).ToArray()),
            }.ToJsonString());
        }
        await Fixture.CountAsync("with resumed as (update amebo.mt_doc_subscription set data = jsonb_set(data, '{paused}', 'false') returning 1) select count(*) from resumed");
        var gists = Fixture.Host.Services.GetRequiredService<Amebo.Platform.Subscriptions.Gists>();

        // Eight claimers race the running deliverer for the same 300 due gists.
        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            var mine = new List<Guid>();
            for (var round = 0; round < 20; round++) mine.AddRange((await gists.ClaimAsync(8, CancellationToken.None)).Select(g => g.Id));
            return mine;
        })));

        var claimed = claims.SelectMany(c => c).ToList();
        claimed.Count.ShouldBeGreaterThan(0);
        claimed.Distinct().Count().ShouldBe(claimed.Count);
    }

    [Fact]
    public async Task gone_pauses_the_subscription_and_keeps_the_gist()
    {
        var subscription = await Subscribed();
        var id = subscription.GetProperty("subscription").GetString()!;
        _receiver.AnswerWith(410);

        await Api.Published("user.created", Seed.Alice());
        await _receiver.UntilReceived(1);
        for (var i = 0; i < 100 && !(await Api.Get($"/v1/subscriptions/{id}")).Data.GetProperty("paused").GetBoolean(); i++) await Task.Delay(50);

        (await Api.Get($"/v1/subscriptions/{id}")).Data.GetProperty("paused").GetBoolean().ShouldBeTrue();
        // The attempt is recorded with the rest of the deliverer's round, just after the pause.
        var pending = await Gist(id, "pending");
        for (var i = 0; i < 100 && pending.GetProperty("attempts").GetArrayLength() == 0; i++)
        {
            await Task.Delay(50);
            pending = await Gist(id, "pending");
        }
        pending.GetProperty("attempts")[0].GetProperty("status_code").GetInt32().ShouldBe(410);
        (await Api.Post($"/v1/gists/{pending.GetProperty("gist").GetString()}/retry", "")).ShouldBeProblem(409);

        var resumed = await Api.Put($"/v1/subscriptions/{id}", new { paused = false });
        resumed.Data.GetProperty("paused").GetBoolean().ShouldBeFalse();
        await _receiver.UntilReceived(2);
        await Gist(id, "delivered");
    }

    [Fact]
    public async Task exhausted_retries_fail_the_gist_and_a_manual_retry_delivers_it()
    {
        var subscription = await Subscribed(maxRetries: 1);
        var id = subscription.GetProperty("subscription").GetString()!;
        _receiver.AnswerWith(500, 500);

        await Api.Published("user.created", Seed.Alice());
        var failed = await Gist(id, "failed");
        failed.GetProperty("attempts").GetArrayLength().ShouldBe(2);

        var retry = await Api.Post($"/v1/gists/{failed.GetProperty("gist").GetString()}/retry", "");
        ((int)retry.Status).ShouldBe(202, retry.Text);

        var delivered = await Gist(id, "delivered");
        delivered.GetProperty("attempts").GetArrayLength().ShouldBe(3);
    }

    [Fact]
    public async Task replay_delivers_earlier_events_in_rowid_order()
    {
        await Api.SeedUserCreated();
        var rowids = new List<long>();
        for (var i = 0; i < 4; i++) rowids.Add((await Api.Published("user.created", Seed.User($"1000000{i}-0000-4000-8000-000000000000"))).GetProperty("rowid").GetInt64());
        await Api.RegisteredApplication("mailer", _receiver.Address);
        var subscription = (await (await Api.WithTokenFor("mailer")).Post("/v1/subscriptions",
            new { application = "mailer", action = "user.created", handler = _receiver.Address + "/late" })).Data;

        var replay = await Api.Post($"/v1/subscriptions/{subscription.GetProperty("subscription").GetString()}/replay", new { after = rowids[0] });

        ((int)replay.Status).ShouldBe(202, replay.Text);
        replay.Data.GetProperty("gists").GetInt32().ShouldBe(3);
        var received = await _receiver.UntilReceived(3);
        received.Select(r => JsonNode.Parse(r.Body)!["rowid"]!.GetValue<long>()).ShouldBe(rowids.Skip(1));
    }

    [Fact]
    public async Task subscribing_checks_rights_and_input()
    {
        await Api.SeedUserCreated();
        await Api.RegisteredApplication("mailer", _receiver.Address);
        var users = await Api.WithTokenFor("user-service");

        (await users.Post("/v1/subscriptions", new { application = "mailer", action = "user.created", handler = "/x" })).ShouldBeProblem(403);
        (await Api.Post("/v1/subscriptions", new { application = "mailer", action = "user.vanished", handler = "/x" })).ShouldBeProblem(404);
        (await Api.Post("/v1/subscriptions", new { application = "mailer", action = "user.created", handler = "ftp://x" })).ShouldBeProblem(400);
        (await Api.Post("/v1/subscriptions", new { application = "mailer", action = "user.created", handler = "/x", max_retries = 99 })).ShouldBeProblem(400);
        (await Fixture.Anonymous().Post("/v1/subscriptions", new { application = "mailer", action = "user.created", handler = "/x" })).ShouldBeProblem(401);
        (await Api.Get("/v1/subscriptions")).Data.GetArrayLength().ShouldBe(0);

        var created = (await Api.Post("/v1/subscriptions", new { application = "mailer", action = "user.created", handler = "/x" })).Data;
        var id = created.GetProperty("subscription").GetString();
        var put = await users.Put($"/v1/subscriptions/{id}", new { paused = true }); put.ShouldBeProblem(403);
        var delete = await users.Send(new HttpRequestMessage(HttpMethod.Delete, $"/v1/subscriptions/{id}"));
        delete.ShouldBeProblem(403);
        ((int)(await Api.Send(new HttpRequestMessage(HttpMethod.Delete, $"/v1/subscriptions/{id}"))).Status).ShouldBe(204);
        (await Api.Get($"/v1/subscriptions/{id}")).ShouldBeProblem(404);
    }
}
