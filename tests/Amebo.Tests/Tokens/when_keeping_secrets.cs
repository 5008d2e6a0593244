using Amebo.Tests.Fixtures;

namespace Amebo.Tests.Tokens;

public sealed class when_keeping_secrets(AmeboFixture fixture) : AmeboTest(fixture)
{
    [Fact]
    public async Task no_response_or_log_line_ever_holds_a_secret()
    {
        const string rotated = "rotated-secret-never-to-be-seen";
        const string wrong = "wrong-secret-never-to-be-seen";
        var answers = new List<Answer>
        {
            await Api.RegisteredApplication("user-service"),
            await Api.Post("/v1/applications", new { application = "user-service", address = "https://x.example.com", secret = Api.Secret }),
            await Api.Post("/v1/applications", new { application = "billing", address = "https://x.example.com", secret = "short" }),
            await Api.Post("/v1/applications", $$"""{"application":"billing","secret":"{{wrong}}","address":"""),
            await Fixture.Anonymous().Post("/v1/tokens", new { application = "user-service", secret = wrong }),
            await Fixture.Anonymous().Post("/v1/tokens", new { application = "amebo", secret = wrong }),
            await Fixture.Anonymous().Post("/v1/tokens", new { application = "user-service", secret = Api.Secret }),
            await Api.Put("/v1/applications/user-service", new { secret = rotated }),
            await Api.Put("/v1/applications/user-service", $$"""{"secret":"{{wrong}}","address":12}"""),
            await Api.Get("/v1/applications"),
            await Api.Get("/v1/applications/user-service"),
        };

        var secrets = new[] { Api.Secret, rotated, wrong, AmeboFixture.AdminSecret, AmeboFixture.JwtKey };
        foreach (var answer in answers)
        {
            foreach (var secret in secrets) answer.Text.ShouldNotContain(secret);
        }
        // The log holds everything the host wrote so far in this run, including the other tests.
        Fixture.Logs.Lines.Count.ShouldBeGreaterThan(0);
        foreach (var line in Fixture.Logs.Lines)
        {
            foreach (var secret in secrets) line.ShouldNotContain(secret);
        }
    }
}
