using System.Security.Cryptography;
using System.Text;
using Amebo.Platform.Hosting;
using Microsoft.IdentityModel.Tokens;

namespace Amebo.Platform.Tokens;

/// <summary>
/// The secrets Amebo itself holds: the key tokens are signed with and the administrator's secret.
/// Each comes from its setting, or is generated once into the data directory (mode 0600) and read
/// back on every later start, so tokens and the administrator survive restarts.
/// </summary>
public sealed class Credentials
{
    public const string Administrator = "amebo";
    public const string Issuer = "amebo";
    public const string Audience = "amebo";
    public const string StampClaim = "amebo_stamp";

    private Credentials(byte[] signingKey, string adminSecret, string? adminSecretFile)
    {
        SigningKey = new SymmetricSecurityKey(signingKey) { KeyId = Convert.ToHexString(SHA256.HashData(signingKey))[..16] };
        AdminSecret = adminSecret;
        AdminSecretFile = adminSecretFile;
        // Changing the administrator's secret changes this stamp, which revokes earlier admin tokens.
        AdminStamp = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("amebo-admin:" + adminSecret)))[..24];
    }

    public SymmetricSecurityKey SigningKey { get; }
    public string AdminSecret { get; }
    public string AdminStamp { get; }

    /// <summary>Where the generated administrator's secret is kept; null when it comes from AMEBO_ADMIN_SECRET.</summary>
    public string? AdminSecretFile { get; }

    public static Credentials Load(AmeboSettings settings)
    {
        var dataDir = Path.GetFullPath(settings.DataDir);
        var key = settings.JwtKey is { } configured ? KeyFromSetting(configured) : Convert.FromBase64String(ReadOrCreate(Path.Combine(dataDir, "jwt-key"), 64));

        if (settings.AdminSecret is { } adminSecret)
        {
            if (adminSecret.Length < Applications.ApplicationNames.MinSecretLength)
            {
                throw new InvalidSettingException($"AMEBO_ADMIN_SECRET must be at least {Applications.ApplicationNames.MinSecretLength} characters.");
            }
            return new Credentials(key, adminSecret, null);
        }

        var file = Path.Combine(dataDir, "admin-secret");
        return new Credentials(key, ReadOrCreate(file, 32), file);
    }

    /// <summary>AMEBO_JWT_KEY as base64 when it decodes to 32 bytes or more, else its UTF-8 bytes.</summary>
    private static byte[] KeyFromSetting(string value)
    {
        var buffer = new byte[value.Length];
        var key = Convert.TryFromBase64String(value, buffer, out var written) && written >= 32
            ? buffer[..written]
            : Encoding.UTF8.GetBytes(value);
        return key.Length >= 32 ? key : throw new InvalidSettingException("AMEBO_JWT_KEY must hold at least 32 bytes (e.g. 44 characters of base64).");
    }

    private static string ReadOrCreate(string file, int randomBytes)
    {
        if (File.Exists(file)) return File.ReadAllText(file).Trim();

        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(randomBytes));
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using var writer = new StreamWriter(file, Encoding.ASCII, options);
            writer.Write(value);
        }
        catch (IOException) when (File.Exists(file))
        {
            // Another Amebo process sharing the data directory wrote it first: use theirs.
            return File.ReadAllText(file).Trim();
        }
        return value;
    }
}
