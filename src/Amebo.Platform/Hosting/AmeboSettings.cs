using System.Globalization;

namespace Amebo.Platform.Hosting;

/// <summary>
/// Amebo's settings, read from <c>AMEBO_*</c> environment variables (or any configuration source
/// with the same keys). The defaults here are the documented ones in the README.
/// </summary>
public sealed class AmeboSettings
{
    public const string DefaultUrls = "http://127.0.0.1:3310";

    /// <summary>PostgreSQL connection (Npgsql string or postgres:// URL); unset means the embedded database.</summary>
    public string? Dsn { get; init; }

    /// <summary>Where the embedded database and generated keys live.</summary>
    public string DataDir { get; init; } = "./.amebo";

    public string Urls { get; init; } = DefaultUrls;

    /// <summary>Largest accepted event payload, in bytes.</summary>
    public long Envelope { get; init; } = 1_048_576;

    /// <summary>Most events in one batch.</summary>
    public int BatchLimit { get; init; } = 1000;

    /// <summary>
    /// Largest request body of a single publish: the payload plus room for the envelope fields.
    /// </summary>
    public long PublishBodyLimit => Envelope + 64 * 1024;

    /// <summary>Largest request body of a batch publish.</summary>
    public long BatchBodyLimit => Envelope * 16;

    /// <summary>Largest body of any other request (application and action registrations).</summary>
    public long OtherBodyLimit => Math.Max(Envelope, 1_048_576);

    public static AmeboSettings From(IConfiguration configuration)
    {
        var envelope = ReadLong(configuration, "AMEBO_ENVELOPE", 1_048_576);
        var batchLimit = ReadLong(configuration, "AMEBO_BATCH_LIMIT", 1000);
        if (envelope < 1) throw new InvalidSettingException("AMEBO_ENVELOPE must be a positive number of bytes.");
        if (batchLimit is < 1 or > 100_000) throw new InvalidSettingException("AMEBO_BATCH_LIMIT must be between 1 and 100000.");

        return new AmeboSettings
        {
            Dsn = NullIfBlank(configuration["AMEBO_DSN"]),
            DataDir = NullIfBlank(configuration["AMEBO_DATA_DIR"]) ?? "./.amebo",
            Urls = NullIfBlank(configuration["AMEBO_URLS"]) ?? DefaultUrls,
            Envelope = envelope,
            BatchLimit = (int)batchLimit,
        };
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static long ReadLong(IConfiguration configuration, string key, long fallback)
    {
        var text = NullIfBlank(configuration[key]);
        if (text is null) return fallback;
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidSettingException($"{key} must be a whole number, not '{text}'.");
    }
}

/// <summary>A setting that Amebo cannot start with; its message is shown to the operator as is.</summary>
public sealed class InvalidSettingException(string message) : Exception(message);
