using Amebo.Platform.Applications;
using Amebo.Tests.Fixtures;
using Marten;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Amebo.Tests.Applications;

public sealed class when_registering_an_application(AmeboFixture fixture) : AmeboTest(fixture)
{
    [Fact]
    public async Task answers_201_with_the_application_and_never_the_secret()
    {
        var answer = await Api.Post("/v1/applications", new { application = "user-service", address = "https://users.example.com", secret = Api.Secret });

        ((int)answer.Status).ShouldBe(201);
        answer.Response.Headers.Location!.ToString().ShouldBe("/v1/applications/user-service");
        answer.Data.GetProperty("application").GetString().ShouldBe("user-service");
        answer.Data.GetProperty("address").GetString().ShouldBe("https://users.example.com");
        DateTimeOffset.Parse(answer.Data.GetProperty("created_at").GetString()!).ShouldBeInRange(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        answer.Data.TryGetProperty("secret", out _).ShouldBeFalse();
        answer.Text.ShouldNotContain(Api.Secret);
    }

    [Fact]
    public async Task stores_the_secret_hashed_with_a_salt()
    {
        await Api.RegisteredApplication("user-service");
        await Api.RegisteredApplication("billing");

        await using var session = Fixture.Host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var users = (await session.LoadAsync<Application>("user-service"))!;
        var billing = (await session.LoadAsync<Application>("billing"))!;
        users.SecretHash.ShouldNotContain(Api.Secret);
        users.SecretHash.ShouldNotBe(billing.SecretHash);
        var hasher = Fixture.Host.Services.GetRequiredService<IPasswordHasher<Application>>();
        hasher.VerifyHashedPassword(users, users.SecretHash, Api.Secret).ShouldBe(PasswordVerificationResult.Success);
        hasher.VerifyHashedPassword(users, users.SecretHash, Api.Secret + "x").ShouldBe(PasswordVerificationResult.Failed);
        (await Fixture.CountAsync($"select count(*) from amebo.mt_doc_application where data::text like '%{Api.Secret}%'")).ShouldBe(0);
    }

    [Fact]
    public async Task refuses_a_duplicate_name_with_409_and_keeps_the_first()
    {
        await Api.RegisteredApplication("user-service", "https://first.example.com");

        var answer = await Api.Post("/v1/applications", new { application = "user-service", address = "https://second.example.com", secret = Api.Secret });

        answer.ShouldBeProblem(409).GetProperty("detail").GetString()!.ShouldContain("user-service");
        (await StoredApplications()).ShouldBe(1);
        (await Api.Get("/v1/applications/user-service")).Data.GetProperty("address").GetString().ShouldBe("https://first.example.com");
    }

    [Theory]
    [InlineData("""{"application":"User Service","address":"https://a.example.com","secret":"0123456789abcdef"}""", "/application")]
    [InlineData("""{"application":"x","address":"https://a.example.com","secret":"0123456789abcdef"}""", "/application")]
    [InlineData("""{"address":"https://a.example.com","secret":"0123456789abcdef"}""", "/application")]
    [InlineData("""{"application":"users","address":"not a url","secret":"0123456789abcdef"}""", "/address")]
    [InlineData("""{"application":"users","address":"ftp://a.example.com","secret":"0123456789abcdef"}""", "/address")]
    [InlineData("""{"application":"users","address":"https://a.example.com","secret":"short"}""", "/secret")]
    [InlineData("""{"application":"users","address":"https://a.example.com"}""", "/secret")]
    public async Task refuses_an_invalid_registration_with_400_naming_the_field(string body, string pointer)
    {
        var answer = await Api.Post("/v1/applications", body);

        answer.ShouldBeProblem(400);
        answer.Errors.Select(e => e.Pointer).ShouldContain(pointer);
        (await StoredApplications()).ShouldBe(0);
    }

    [Theory]
    [InlineData("{\"application\": ")]
    [InlineData("[1,2]")]
    [InlineData("{\"application\": 12}")]
    [InlineData("null")]
    public async Task refuses_a_body_that_is_not_a_registration_with_400(string body)
    {
        var answer = await Api.Post("/v1/applications", body);

        answer.ShouldBeProblem(400);
        (await StoredApplications()).ShouldBe(0);
    }

    [Fact]
    public async Task refuses_a_body_that_is_not_json_with_415()
    {
        var answer = await Api.PostRaw("/v1/applications", "application=users", "application/x-www-form-urlencoded");

        answer.ShouldBeProblem(415);
        (await StoredApplications()).ShouldBe(0);
    }
}

public sealed class when_reading_applications(AmeboFixture fixture) : AmeboTest(fixture)
{
    [Fact]
    public async Task lists_them_by_name_in_pages()
    {
        foreach (var name in new[] { "charlie", "alpha", "bravo" }) await Api.RegisteredApplication(name);

        var first = await Api.Get("/v1/applications?limit=2");
        first.Data.EnumerateArray().Select(a => a.GetProperty("application").GetString()).ShouldBe(["alpha", "bravo"]);
        var next = first.Body.GetProperty("meta").GetProperty("next").GetString();
        next.ShouldBe("bravo");

        var second = await Api.Get($"/v1/applications?limit=2&after={next}");
        second.Data.EnumerateArray().Select(a => a.GetProperty("application").GetString()).ShouldBe(["charlie"]);
        second.Body.GetProperty("meta").GetProperty("next").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
    }

    [Fact]
    public async Task gets_one_by_name()
    {
        await Api.RegisteredApplication("user-service");

        var answer = await Api.Get("/v1/applications/user-service");

        ((int)answer.Status).ShouldBe(200);
        answer.Data.GetProperty("application").GetString().ShouldBe("user-service");
        answer.Data.TryGetProperty("secret", out _).ShouldBeFalse();
        answer.Data.TryGetProperty("secret_hash", out _).ShouldBeFalse();
    }

    [Theory]
    [InlineData("/v1/applications/nobody")]
    [InlineData("/v1/applications/NOT%20A%20NAME")]
    public async Task answers_404_for_an_unknown_application(string url)
    {
        (await Api.Get(url)).ShouldBeProblem(404);
    }

    [Theory]
    [InlineData("/v1/applications?limit=0")]
    [InlineData("/v1/applications?limit=1001")]
    [InlineData("/v1/applications?limit=many")]
    public async Task refuses_a_bad_limit_with_400(string url)
    {
        (await Api.Get(url)).ShouldBeProblem(400);
    }
}
