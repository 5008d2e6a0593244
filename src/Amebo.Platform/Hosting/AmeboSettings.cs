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

    /// <summary>Whether Amebo creates and updates its schema at start; when false, only `db-apply` does.</summary>
    public bool AutoMigrate { get; init; } = true;

    /// <summary>How many of an action's latest stored payloads a schema dry run checks.</summary>
    public int CheckSample { get; init; } = 1000;

    /// <summary>The administrator's secret; unset means generated into the data directory.</summary>
    public string? AdminSecret { get; init; }

    /// <summary>The token signing key; unset means generated into the data directory.</summary>
    public string? JwtKey { get; init; }

    public TimeSpan TokenTtl { get; init; } = TimeSpan.FromHours(1);

    /// <summary>False only with <c>AMEBO_AUTH=off</c>, which is allowed on loopback addresses alone.</summary>
    public bool AuthEnabled { get; init; } = true;

    /// <summary>Requests per second per application; 0 means no limit.</summary>
    public int RateLimit { get; init; }

    /// <summary>How long a publish's Idempotency-Key is remembered.</summary>
    public TimeSpan IdempotencyTtl { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How long a webhook delivery may take before it counts as failed.</summary>
    public TimeSpan DeliveryTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The delays before each retry of a failed delivery; the last repeats.</summary>
    public IReadOnlyList<TimeSpan> RetrySchedule { get; init; } = DefaultRetrySchedule;

    public static readonly IReadOnlyList<TimeSpan> DefaultRetrySchedule =
        [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10),
         TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(3), TimeSpan.FromHours(6)];

    /// <summary>The longest a read with <c>wait_for</c> waits for a projection.</summary>
    public TimeSpan WaitTimeout { get; init; } = TimeSpan.FromSeconds(5);

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
        var checkSample = ReadLong(configuration, "AMEBO_CHECK_SAMPLE", 1000);
        if (checkSample is < 0 or > 1_000_000) throw new InvalidSettingException("AMEBO_CHECK_SAMPLE must be between 0 and 1000000 payloads.");
        var autoMigrate = NullIfBlank(configuration["AMEBO_AUTO_MIGRATE"])?.ToLowerInvariant() ?? "true";
        if (autoMigrate is not ("true" or "false")) throw new InvalidSettingException($"AMEBO_AUTO_MIGRATE must be 'true' or 'false', not '{autoMigrate}'.");
        var tokenTtl = ReadLong(configuration, "AMEBO_TOKEN_TTL", 3600);
        if (tokenTtl is < 1 or > 31_536_000) throw new InvalidSettingException("AMEBO_TOKEN_TTL must be between 1 and 31536000 seconds.");
        var rateLimit = ReadLong(configuration, "AMEBO_RATE_LIMIT", 0);
        if (rateLimit > 1_000_000) throw new InvalidSettingException("AMEBO_RATE_LIMIT must be at most 1000000 requests per second.");
        var auth = NullIfBlank(configuration["AMEBO_AUTH"])?.ToLowerInvariant() ?? "on";
        if (auth is not ("on" or "off")) throw new InvalidSettingException($"AMEBO_AUTH must be 'on' or 'off', not '{auth}'.");

        return new AmeboSettings
        {
            Dsn = NullIfBlank(configuration["AMEBO_DSN"]),
            DataDir = NullIfBlank(configuration["AMEBO_DATA_DIR"]) ?? "./.amebo",
            Urls = NullIfBlank(configuration["AMEBO_URLS"]) ?? DefaultUrls,
            Envelope = envelope,
            BatchLimit = (int)batchLimit,
            CheckSample = (int)checkSample,
            AutoMigrate = autoMigrate == "true",
            AdminSecret = NullIfBlank(configuration["AMEBO_ADMIN_SECRET"]),
            JwtKey = NullIfBlank(configuration["AMEBO_JWT_KEY"]),
            TokenTtl = TimeSpan.FromSeconds(tokenTtl),
            AuthEnabled = auth == "on",
            RateLimit = (int)rateLimit,
            IdempotencyTtl = ReadDuration(configuration, "AMEBO_IDEMPOTENCY_TTL", TimeSpan.FromHours(24)),
            WaitTimeout = ReadDuration(configuration, "AMEBO_WAIT_TIMEOUT", TimeSpan.FromSeconds(5)),
            DeliveryTimeout = ReadDuration(configuration, "AMEBO_DELIVERY_TIMEOUT", TimeSpan.FromSeconds(15)),
            RetrySchedule = ReadSchedule(configuration),
        };
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>A duration such as <c>90</c> (seconds), <c>90s</c>, <c>15m</c>, <c>24h</c> or <c>7d</c>.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        text = text.Trim();
        var unit = text.Length > 0 && char.IsLetter(text[^1]) ? char.ToLowerInvariant(text[^1]) : 's';
        var number = char.IsLetter(text.Length > 0 ? text[^1] : ' ') ? text[..^1] : text;
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value < 0) return null;
        return unit switch
        {
            's' => TimeSpan.FromSeconds(value),
            'm' => TimeSpan.FromMinutes(value),
            'h' => TimeSpan.FromHours(value),
            'd' => TimeSpan.FromDays(value),
            _ => null,
        };
    }

    private static IReadOnlyList<TimeSpan> ReadSchedule(IConfiguration configuration)
    {
        var text = NullIfBlank(configuration["AMEBO_RETRY_SCHEDULE"]);
        if (text is null) return DefaultRetrySchedule;
        var delays = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(ParseDuration).ToList();
        return delays.Count > 0 && delays.All(d => d is { } value && value > TimeSpan.Zero && value <= TimeSpan.FromDays(7))
            ? delays.Select(d => d!.Value).ToList()
            : throw new InvalidSettingException($"AMEBO_RETRY_SCHEDULE must be durations separated by commas, such as 5s,30s,2m,10m, not '{text}'.");
    }

    private static TimeSpan ReadDuration(IConfiguration configuration, string key, TimeSpan fallback)
    {
        var text = NullIfBlank(configuration[key]);
        if (text is null) return fallback;
        return ParseDuration(text) is { } value && value > TimeSpan.Zero && value <= TimeSpan.FromDays(365)
            ? value
            : throw new InvalidSettingException($"{key} must be a duration such as 90s, 15m, 24h or 7d, not '{text}'.");
    }

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
