using System.Text;
using System.Text.Json.Nodes;
using Amebo.Tests.Fixtures;

namespace Amebo.Tests.Events;

public sealed class when_publishing_an_event(AmeboFixture fixture) : AmeboTest(fixture)
{
    [Fact]
    public async Task stores_the_seeds_alice_event_and_answers_201_with_its_position()
    {
        await Api.SeedUserCreated();

        var answer = await Api.Post("/v1/events", new JsonObject { ["action"] = "user.created", ["payload"] = Seed.Alice() }.ToJsonString());

        ((int)answer.Status).ShouldBe(201, answer.Text);
        var data = answer.Data;
        var rowid = data.GetProperty("rowid").GetInt64();
        rowid.ShouldBeGreaterThan(0);
        Guid.Parse(data.GetProperty("id").GetString()!).ShouldNotBe(Guid.Empty);
        data.GetProperty("action").GetString().ShouldBe("user.created");
        data.GetProperty("stream").GetString().ShouldBe($"user:{Seed.AliceId}");
        data.GetProperty("version").GetInt64().ShouldBe(1);
        data.GetProperty("schema_version").GetInt32().ShouldBe(1);
        var timestamp = data.GetProperty("timestamp").GetString()!;
        timestamp.ShouldEndWith("Z");

        var stored = await Api.Get($"/v1/events/{rowid}");
        stored.Data.GetProperty("timestamp").GetString().ShouldBe(timestamp);
        JsonNode.DeepEquals(JsonNode.Parse(stored.Data.GetProperty("payload").GetRawText()), Seed.Alice()).ShouldBeTrue();
        (await StoredEvents()).ShouldBe(1);
    }

    [Fact]
    public async Task appends_later_events_of_the_same_entity_to_the_same_stream()
    {
        await Api.SeedUserCreated();

        var first = await Api.Published("user.created", Seed.Alice());
        var second = await Api.Published("user.created", Seed.Alice());

        second.GetProperty("stream").GetString().ShouldBe(first.GetProperty("stream").GetString());
        second.GetProperty("version").GetInt64().ShouldBe(2);
        second.GetProperty("rowid").GetInt64().ShouldBeGreaterThan(first.GetProperty("rowid").GetInt64());
    }

    [Fact]
    public async Task uses_the_stream_named_in_the_body_over_the_payload()
    {
        await Api.SeedUserCreated();

        var data = await Api.Published("user.created", Seed.Alice(), stream: "user:alice");

        data.GetProperty("stream").GetString().ShouldBe("user:alice");
    }

    [Fact]
    public async Task reads_the_stream_key_at_the_actions_pointer_and_accepts_integer_keys()
    {
        await Api.RegisteredApplication();
        await Api.DefinedAction("order.placed", new JsonObject(), stream: "/order/number");

        var data = await Api.Published("order.placed", new JsonObject { ["order"] = new JsonObject { ["number"] = 1042 } });

        data.GetProperty("stream").GetString().ShouldBe("order:1042");
    }

    [Fact]
    public async Task refuses_the_seeds_invalid_email_with_422_naming_the_email()
    {
        await Api.SeedUserCreated();
        var payload = Seed.Alice();
        payload["email"] = "invalid-email";

        var answer = await Api.Post("/v1/events", new JsonObject { ["action"] = "user.created", ["payload"] = payload }.ToJsonString());

        answer.ShouldBeProblem(422);
        answer.Errors.ShouldContain(e => e.Pointer == "/payload/email" && e.Keyword == "format");
        (await StoredEvents()).ShouldBe(0);
    }

    [Theory]
    [InlineData("id", "not-a-uuid", "/payload/id", "format")]
    [InlineData("created_at", "yesterday", "/payload/created_at", "format")]
    [InlineData("name", "", "/payload/name", "minLength")]
    [InlineData("extra", "field", "/payload/extra", "additionalProperties")]
    public async Task refuses_each_kind_of_schema_violation_with_422_locating_it(string field, string value, string pointer, string keyword)
    {
        await Api.SeedUserCreated();
        var payload = Seed.Alice();
        payload[field] = value;

        var answer = await Api.Post("/v1/events", new JsonObject { ["action"] = "user.created", ["payload"] = payload }.ToJsonString());

        answer.ShouldBeProblem(422);
        answer.Errors.ShouldContain(e => e.Pointer == pointer && e.Keyword == keyword, answer.Text);
        (await StoredEvents()).ShouldBe(0);
    }

    [Fact]
    public async Task refuses_a_bad_ip_address_inside_nested_metadata()
    {
        await Api.SeedUserCreated();
        var payload = Seed.Alice();
        payload["metadata"]!["ip_address"] = "999.1.1.1";

        var answer = await Api.Post("/v1/events", new JsonObject { ["action"] = "user.created", ["payload"] = payload }.ToJsonString());

        answer.ShouldBeProblem(422);
        answer.Errors.ShouldContain(e => e.Pointer == "/payload/metadata/ip_address" && e.Keyword == "format");
        (await StoredEvents()).ShouldBe(0);
    }

    [Fact]
    public async Task refuses_missing_required_fields_with_422_naming_them()
    {
        await Api.SeedUserCreated();

        var answer = await Api.Post("/v1/events", """{"action":"user.created","payload":{"id":"550e8400-e29b-41d4-a716-446655440000"}}""");

        answer.ShouldBeProblem(422);
        answer.Errors.ShouldContain(e => e.Pointer == "/payload" && e.Keyword == "required" && e.Message.Contains("email"));
        (await StoredEvents()).ShouldBe(0);
    }

    [Fact]
    public async Task refuses_a_payload_without_a_stream_key_with_422()
    {
        await Api.RegisteredApplication();
        await Api.DefinedAction("order.placed", new JsonObject());

        var answer = await Api.Post("/v1/events", """{"action":"order.placed","payload":{"total":12}}""");

        answer.ShouldBeProblem(422);
        answer.Errors.ShouldContain(e => e.Pointer == "/payload/id" && e.Keyword == "stream");
        (await StoredEvents()).ShouldBe(0);
    }

    [Fact]
    public async Task refuses_an_unknown_action_with_404()
    {
        await Api.SeedUserCreated();

        var answer = await Api.Post("/v1/events", """{"action":"user.deleted","payload":{"id":"1"}}""");

        answer.ShouldBeProblem(404).GetProperty("detail").GetString()!.ShouldContain("user.deleted");
        (await StoredEvents()).ShouldBe(0);
    }

    [Theory]
    [InlineData("""{"action":"user.created","payload":""")]
    [InlineData("""{"action":"user.created" "payload":{}}""")]
    [InlineData("""not json at all""")]
    [InlineData("""{"action":12,"payload":{}}""")]
    [InlineData("""{"action":"user.created","payload":{},"stream":5}""")]
    [InlineData("""{"payload":{}}""")]
    [InlineData("""{"action":"user.created"}""")]
    [InlineData("""{"action":"user.created","payload":{},"stream":""}""")]
    [InlineData("""null""")]
    [InlineData("""[]""")]
    [InlineData("")]
    public async Task refuses_a_malformed_body_with_400_and_never_500(string body)
    {
        await Api.SeedUserCreated();

        var answer = await Api.Post("/v1/events", body);

        answer.ShouldBeProblem(400);
        (await StoredEvents()).ShouldBe(0);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    public async Task refuses_a_body_that_is_not_json_with_415(string contentType)
    {
        await Api.SeedUserCreated();
        var body = new JsonObject { ["action"] = "user.created", ["payload"] = Seed.Alice() }.ToJsonString();

        var answer = await Api.PostRaw("/v1/events", body, contentType);

        answer.ShouldBeProblem(415);
        (await StoredEvents()).ShouldBe(0);
    }

    [Fact]
    public async Task refuses_a_payload_over_the_envelope_with_413()
    {
        await Api.RegisteredApplication();
        await Api.DefinedAction("file.uploaded", new JsonObject());
        var blob = new string('a', 1_048_576);
        var body = $$$"""{"action":"file.uploaded","payload":{"id":"f1","blob":"{{{blob}}}"}}""";

        var answer = await Api.PostRaw("/v1/events", body);

        answer.ShouldBeProblem(413).GetProperty("detail").GetString()!.ShouldContain("1048576");
        (await StoredEvents()).ShouldBe(0);
    }

    [Fact]
    public async Task refuses_a_body_far_over_the_limit_before_reading_it()
    {
        await Api.SeedUserCreated();
        var stream = new CountingStream(100L * 1024 * 1024);
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = new StreamContent(stream) };
        request.Content.Headers.ContentType = new("application/json");
        request.Content.Headers.ContentLength = stream.Length;

        var answer = await Api.Send(request);

        answer.ShouldBeProblem(413);
        stream.Consumed.ShouldBeLessThan(1024 * 1024);
        (await StoredEvents()).ShouldBe(0);
    }

    [Fact]
    public async Task refuses_a_chunked_body_over_the_limit_once_it_crosses_it()
    {
        await Api.SeedUserCreated();
        var stream = new CountingStream(100L * 1024 * 1024);
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = new StreamContent(stream) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TransferEncodingChunked = true;

        var answer = await Api.Send(request);

        answer.ShouldBeProblem(413);
        stream.Consumed.ShouldBeLessThan(4L * 1024 * 1024);
        (await StoredEvents()).ShouldBe(0);
    }

    /// <summary>A body of <c>{"action": "aaaa...</c> that counts how much of it was read.</summary>
    private sealed class CountingStream(long length) : Stream
    {
        private static readonly byte[] Prefix = Encoding.UTF8.GetBytes("{\"action\":\"");
        public long Consumed { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => Consumed; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - Consumed);
            for (var i = 0; i < n; i++)
            {
                var at = Consumed + i;
                buffer[offset + i] = at < Prefix.Length ? Prefix[at] : (byte)'a';
            }
            Consumed += n;
            return n;
        }
    }
}
