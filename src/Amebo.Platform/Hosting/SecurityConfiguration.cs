using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Threading.RateLimiting;
using Amebo.Platform.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Amebo.Platform.Hosting;

public static class SecurityConfiguration
{
    private const string AuthOffScheme = "amebo-auth-off";

    /// <summary>
    /// Bearer tokens on every route that does not say otherwise, checked for signature, issuer,
    /// audience, lifetime, algorithm and the secret stamp; or, with AMEBO_AUTH=off, every request
    /// acting as the administrator. Plus the optional per-application rate limit.
    /// </summary>
    public static IServiceCollection AddAmeboSecurity(this IServiceCollection services, AmeboSettings settings, Credentials credentials)
    {
        services.AddSingleton(credentials);
        services.AddSingleton<SecretStamps>();

        if (settings.AuthEnabled)
        {
            services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
            {
                options.MapInboundClaims = false;
                options.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = Credentials.Issuer,
                    ValidAudience = Credentials.Audience,
                    IssuerSigningKey = credentials.SigningKey,
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    RequireSignedTokens = true,
                    RequireExpirationTime = true,
                    ClockSkew = TimeSpan.FromSeconds(5),
                    NameClaimType = "sub",
                };
                options.Events = new JwtBearerEvents
                {
                    OnTokenValidated = async context =>
                    {
                        var stamps = context.HttpContext.RequestServices.GetRequiredService<SecretStamps>();
                        var application = context.Principal?.FindFirstValue("sub");
                        var stamp = context.Principal?.FindFirstValue(Credentials.StampClaim);
                        if (application is null || !await stamps.IsCurrentAsync(application, stamp, context.HttpContext.RequestAborted))
                        {
                            context.Fail("The token was issued before the application's secret changed.");
                        }
                    },
                };
            });
        }
        else
        {
            services.AddAuthentication(AuthOffScheme).AddScheme<AuthenticationSchemeOptions, AuthOffHandler>(AuthOffScheme, null);
        }

        services.AddAuthorization(options =>
            options.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());

        if (settings.RateLimit > 0) services.AddAmeboRateLimit(settings.RateLimit);
        return services;
    }

    public static WebApplication UseAmeboSecurity(this WebApplication app, AmeboSettings settings)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        if (settings.RateLimit > 0) app.UseRateLimiter();
        return app;
    }

    /// <summary>A fixed one-second window per application (per address for requests without a token).</summary>
    private static void AddAmeboRateLimit(this IServiceCollection services, int perSecond)
    {
        services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                RateLimitPartition.GetFixedWindowLimiter(
                    context.User.FindFirstValue("sub") ?? "address:" + context.Connection.RemoteIpAddress,
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = perSecond, Window = TimeSpan.FromSeconds(1), QueueLimit = 0 }));
            options.OnRejected = async (context, ct) =>
            {
                var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
                    ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
                    : 1;
                context.HttpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context.HttpContext,
                    ProblemDetails = Problems.Of(429, $"More than {perSecond} requests in one second; retry after {seconds} s."),
                });
            };
        });
    }

    /// <summary>AMEBO_AUTH=off is for a laptop: it is refused unless every listening address is loopback.</summary>
    public static void RequireLoopbackWhenAuthIsOff(AmeboSettings settings)
    {
        if (settings.AuthEnabled) return;
        foreach (var url in settings.Urls.Split(';', ',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var host = Uri.TryCreate(url.Replace("://*", "://any").Replace("://+", "://any"), UriKind.Absolute, out var uri) ? uri.Host : url;
            var loopback = host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
                || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
            if (!loopback)
            {
                throw new InvalidSettingException(
                    $"AMEBO_AUTH=off is only allowed when Amebo listens on loopback addresses, and AMEBO_URLS includes {url}.");
            }
        }
    }

    /// <summary>With authentication off, every request acts as the administrator.</summary>
    private sealed class AuthOffHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var identity = new ClaimsIdentity([new Claim("sub", Credentials.Administrator)], AuthOffScheme, "sub", null);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), AuthOffScheme)));
        }
    }
}
