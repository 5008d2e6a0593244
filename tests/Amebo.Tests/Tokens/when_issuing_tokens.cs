using Amebo.Tests.Fixtures;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Amebo.Tests.Tokens;

public sealed class when_issuing_tokens(AmeboFixture fixture) : AmeboTest(fixture)
{
    [Fact]
    public async Task issues_a_signed_bearer_token_for_the_right_pair()
    {
        await Api.RegisteredApplication("user-service");

        var answer = await Fixture.Anonymous().Post("/v1/tokens", new { application = "user-service", secret = Api.Secret });

        ((int)answer.Status).ShouldBe(200, answer.Text);
        answer.Data.GetProperty("token_type").GetString().ShouldBe("Bearer");
        answer.Data.GetProperty("expires_in").GetInt64().ShouldBe(3600);
        var token = new JsonWebToken(answer.Data.GetProperty("token").GetString());
        token.Alg.ShouldBe("HS256");
        token.Subject.ShouldBe("user-service");
        token.Issuer.ShouldBe("amebo");
        token.Audiences.ShouldBe(["amebo"]);
        (token.ValidTo - DateTime.UtcNow).TotalSeconds.ShouldBeInRange(3500, 3601);
    }

    [Fact]
    public async Task answers_a_wrong_secret_and_an_unknown_application_alike()
    {
        await Api.RegisteredApplication("user-service");
        var anonymous = Fixture.Anonymous();

        var wrongSecret = await anonymous.Post("/v1/tokens", new { application = "user-service", secret = "not-the-right-secret" });
        var unknown = await anonymous.Post("/v1/tokens", new { application = "nobody-here", secret = "not-the-right-secret" });
        var wrongAdmin = await anonymous.Post("/v1/tokens", new { application = "amebo", secret = "not-the-right-secret" });

        foreach (var answer in new[] { wrongSecret, unknown, wrongAdmin })
        {
            var body = answer.ShouldBeProblem(401);
            body.GetProperty("detail").GetString().ShouldBe("The application and secret do not match.");
            body.GetProperty("type").GetString().ShouldBe(wrongSecret.Body.GetProperty("type").GetString());
        }
    }

    [Theory]
    [InlineData("""{"application":"user-service"}""")]
    [InlineData("""{"secret":"correct-horse-battery-staple"}""")]
    [InlineData("""{"application":"user-service","secret":""}""")]
    [InlineData("""{"application":""")]
    public async Task refuses_a_malformed_request_with_400(string body)
    {
        (await Fixture.Anonymous().Post("/v1/tokens", body)).ShouldBeProblem(400);
    }

    [Fact]
    public async Task rotating_the_secret_revokes_earlier_tokens_and_the_old_secret()
    {
        await Api.RegisteredApplication("user-service");
        var before = await Api.WithTokenFor("user-service");
        (await before.Get("/v1/applications")).Status.ShouldBe(System.Net.HttpStatusCode.OK);

        var rotated = await before.Put("/v1/applications/user-service", new { secret = "a-brand-new-secret-value" });
        ((int)rotated.Status).ShouldBe(200, rotated.Text);
        rotated.Text.ShouldNotContain("a-brand-new-secret-value");

        (await before.Get("/v1/applications")).ShouldBeProblem(401);
        (await Fixture.Anonymous().Post("/v1/tokens", new { application = "user-service", secret = Api.Secret })).ShouldBeProblem(401);
        var after = await Api.WithTokenFor("user-service", "a-brand-new-secret-value");
        ((int)(await after.Get("/v1/applications")).Status).ShouldBe(200);
    }

    [Fact]
    public async Task changing_only_the_address_keeps_tokens_valid()
    {
        await Api.RegisteredApplication("user-service");
        var token = await Api.WithTokenFor("user-service");

        var changed = await token.Put("/v1/applications/user-service", new { address = "https://new.example.com" });

        changed.Data.GetProperty("address").GetString().ShouldBe("https://new.example.com");
        ((int)(await token.Get("/v1/applications")).Status).ShouldBe(200);
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"secret":"short"}""")]
    [InlineData("""{"address":"ftp://nope"}""")]
    public async Task refuses_an_invalid_change_with_400_and_changes_nothing(string body)
    {
        await Api.RegisteredApplication("user-service");

        (await Api.Put("/v1/applications/user-service", body)).ShouldBeProblem(400);

        (await Api.WithTokenFor("user-service")).Token.ShouldNotBeNull();
        (await Api.Get("/v1/applications/user-service")).Data.GetProperty("address").GetString().ShouldBe("https://users.example.com");
    }

    [Fact]
    public async Task refuses_to_change_an_unknown_application_or_the_administrator()
    {
        (await Api.Put("/v1/applications/nobody", new { address = "https://x.example.com" })).ShouldBeProblem(404);
        (await Api.Put("/v1/applications/amebo", new { secret = "another-admin-secret" })).ShouldBeProblem(409);
    }

    [Fact]
    public async Task reserves_the_administrators_name()
    {
        var answer = await Api.Post("/v1/applications", new { application = "amebo", address = "https://x.example.com", secret = Api.Secret });

        answer.ShouldBeProblem(409);
        (await StoredApplications()).ShouldBe(0);
    }
}
