using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Amebo.Platform.Applications;
using Amebo.Platform.Hosting;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Wolverine.Http;

namespace Amebo.Platform.Tokens;

public sealed record IssueToken(string? Application, string? Secret);

public sealed record TokenView(string Token, string TokenType, long ExpiresIn);

/// <summary>The application whose secret matched, or the problem that refuses the request.</summary>
public sealed record VerifiedApplication(ProblemDetails Problem, string? Name, string Stamp);

public static class IssueTokenEndpoint
{
    private static readonly JsonWebTokenHandler Tokens = new();

    /// <summary>
    /// Checks the pair. An unknown application is checked against a stand-in hash, so a wrong
    /// name costs the same time as a wrong secret and both get the same answer.
    /// </summary>
    public static async Task<VerifiedApplication> LoadAsync(
        IssueToken? request, IQuerySession session, Credentials credentials, IPasswordHasher<Application> hasher, CancellationToken ct)
    {
        if (request is not { Application: { Length: > 0 and <= 63 }, Secret: { Length: > 0 and <= ApplicationNames.MaxSecretLength } })
        {
            return new VerifiedApplication(Problems.BadRequest("application and secret are required."), null, "");
        }

        if (request.Application == Credentials.Administrator)
        {
            var matches = CryptographicOperations.FixedTimeEquals(
                SHA256.HashData(Encoding.UTF8.GetBytes(request.Secret)), SHA256.HashData(Encoding.UTF8.GetBytes(credentials.AdminSecret)));
            return matches ? new VerifiedApplication(WolverineContinue.NoProblems, Credentials.Administrator, credentials.AdminStamp) : WrongPair;
        }

        var application = ApplicationNames.IsValid(request.Application) ? await session.LoadAsync<Application>(request.Application, ct) : null;
        var hash = application?.SecretHash ?? StandInHash.Value;
        var verified = hasher.VerifyHashedPassword(application ?? StandIn, hash, request.Secret) != PasswordVerificationResult.Failed;
        return verified && application is not null
            ? new VerifiedApplication(WolverineContinue.NoProblems, application.Id, application.SecretStamp ?? "")
            : WrongPair;
    }

    public static ProblemDetails Validate(VerifiedApplication verified) => verified.Problem;

    private static VerifiedApplication WrongPair => new(Problems.Of(401, "The application and secret do not match."), null, "");

    [AllowAnonymous]
    [WolverinePost("/v1/tokens", OperationId = "IssueToken")]
    public static Data<TokenView> Post(IssueToken request, VerifiedApplication verified, Credentials credentials, AmeboSettings settings, TimeProvider clock)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var token = Tokens.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Credentials.Issuer,
            Audience = Credentials.Audience,
            Subject = new ClaimsIdentity([new Claim("sub", verified.Name!), new Claim(Credentials.StampClaim, verified.Stamp)]),
            IssuedAt = now,
            NotBefore = now,
            Expires = now + settings.TokenTtl,
            SigningCredentials = new SigningCredentials(credentials.SigningKey, SecurityAlgorithms.HmacSha256),
        });
        return new Data<TokenView>(new TokenView(token, "Bearer", (long)settings.TokenTtl.TotalSeconds));
    }

    private static readonly Application StandIn = new() { Id = "stand-in", Address = "http://stand-in", SecretHash = "", CreatedAt = default };

    private static readonly Lazy<string> StandInHash = new(() =>
        new PasswordHasher<Application>().HashPassword(StandIn, Convert.ToBase64String(RandomNumberGenerator.GetBytes(24))));
}
