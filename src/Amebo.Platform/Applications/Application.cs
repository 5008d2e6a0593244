using System.Text.RegularExpressions;

namespace Amebo.Platform.Applications;

/// <summary>A producer or consumer of events. <see cref="Id"/> is the application's name.</summary>
public sealed class Application
{
    public required string Id { get; init; }
    public required string Address { get; set; }

    /// <summary>The secret, hashed with ASP.NET Core's password hasher (PBKDF2, per-secret salt).</summary>
    public required string SecretHash { get; set; }

    /// <summary>Changes with every new secret; tokens carry it, so a rotation revokes earlier tokens.</summary>
    public string? SecretStamp { get; set; }

    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>An application as clients see it: never the secret.</summary>
public sealed record ApplicationView(string Application, string Address, DateTimeOffset CreatedAt)
{
    public static ApplicationView From(Application application) =>
        new(application.Id, application.Address, application.CreatedAt);
}

public static partial class ApplicationNames
{
    public const int MinSecretLength = 16;
    public const int MaxSecretLength = 1024;

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    [GeneratedRegex("^[a-z0-9._-]{2,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool IsValidAddress(string? address) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && address!.Length <= 2048;
}
