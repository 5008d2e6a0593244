using System.Security.Claims;
using System.Text;
using Amebo.Tests.Fixtures;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Amebo.Tests.Tokens;

/// <summary>Makes the bad tokens a hostile or careless client might send.</summary>
public static class TokenForge
{
    private static readonly JsonWebTokenHandler Handler = new();

    public static string Signed(string application, string stamp, DateTime? expires = null, string key = AmeboFixture.JwtKey,
        string issuer = "amebo", string audience = "amebo")
    {
        var now = DateTime.UtcNow;
        var expiry = expires ?? now.AddMinutes(10);
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", application), new Claim("amebo_stamp", stamp)]),
            IssuedAt = expiry.AddMinutes(-20),
            NotBefore = expiry.AddMinutes(-20),
            Expires = expiry,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>An unsigned token ("alg": "none") claiming to be the administrator.</summary>
    public static string Unsigned(string application)
    {
        static string Part(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));
        var exp = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds();
        return $"{Part("""{"alg":"none","typ":"JWT"}""")}.{Part($$"""{"sub":"{{application}}","iss":"amebo","aud":"amebo","exp":{{exp}}}""")}.";
    }

    /// <summary>The stamp inside a token Amebo issued.</summary>
    public static string StampOf(string token) => new JsonWebToken(token).GetClaim("amebo_stamp").Value;
}
