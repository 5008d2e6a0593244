using System.Security.Claims;

namespace Amebo.Platform.Tokens;

/// <summary>The application a request acts for, as its token says.</summary>
public sealed record Caller(string Application)
{
    public bool IsAdministrator => Application == Credentials.Administrator;

    /// <summary>The administrator may act for every application; any other only for itself.</summary>
    public bool ActsFor(string application) => IsAdministrator || Application == application;

    public static Caller Of(ClaimsPrincipal user) =>
        new(user.FindFirstValue("sub") ?? throw new InvalidOperationException("An authenticated request carries no subject."));
}
