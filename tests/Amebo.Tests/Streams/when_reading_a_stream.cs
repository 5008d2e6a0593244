using System.Text.Json;
using Amebo.Tests.Fixtures;

namespace Amebo.Tests.Streams;

public sealed class when_reading_a_stream(AmeboFixture fixture) : AmeboTest(fixture)
{
    [Fact]
    public async Task returns_its_version_and_events_in_version_order()
    {
        await Api.SeedUserCreated();
        for (var i = 0; i < 3; i++) await Api.Published("user.created", Seed.Alice());

        var answer = await Api.Get($"/v1/streams/user:{Seed.AliceId}");

        ((int)answer.Status).ShouldBe(200);
        answer.Data.GetProperty("stream").GetString().ShouldBe($"user:{Seed.AliceId}");
        answer.Data.GetProperty("version").GetInt64().ShouldBe(3);
        answer.Data.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("version").GetInt64()).ShouldBe([1L, 2L, 3L]);
    }

    [Fact]
    public async Task reads_from_a_version_in_pages()
    {
        await Api.SeedUserCreated();
        for (var i = 0; i < 5; i++) await Api.Published("user.created", Seed.Alice());

        var answer = await Api.Get($"/v1/streams/user:{Seed.AliceId}?from_version=2&limit=2");

        answer.Data.GetProperty("version").GetInt64().ShouldBe(5);
        answer.Data.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("version").GetInt64()).ShouldBe([2L, 3L]);
        answer.Body.GetProperty("meta").GetProperty("next").GetString().ShouldBe("4");

        var last = await Api.Get($"/v1/streams/user:{Seed.AliceId}?from_version=4&limit=2");
        last.Data.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("version").GetInt64()).ShouldBe([4L, 5L]);
        last.Body.GetProperty("meta").GetProperty("next").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task answers_404_for_an_unknown_stream()
    {
        (await Api.Get("/v1/streams/user:nobody")).ShouldBeProblem(404);
    }

    [Theory]
    [InlineData("from_version=0")]
    [InlineData("from_version=x")]
    [InlineData("limit=0")]
    public async Task refuses_bad_paging_with_400(string query)
    {
        await Api.SeedUserCreated();
        await Api.Published("user.created", Seed.Alice());

        (await Api.Get($"/v1/streams/user:{Seed.AliceId}?{query}")).ShouldBeProblem(400);
    }
}
