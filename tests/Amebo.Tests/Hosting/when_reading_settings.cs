using Amebo.Platform.Hosting;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Amebo.Tests.Hosting;

public sealed class when_reading_settings
{
    private static AmeboSettings Read(params (string Key, string Value)[] values) =>
        AmeboSettings.From(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build());

    [Fact]
    public void uses_the_documented_defaults()
    {
        var settings = Read();

        settings.Dsn.ShouldBeNull();
        settings.DataDir.ShouldBe("./.amebo");
        settings.Urls.ShouldBe("http://127.0.0.1:3310");
        settings.Envelope.ShouldBe(1_048_576);
        settings.BatchLimit.ShouldBe(1000);
        settings.CheckSample.ShouldBe(1000);
        settings.AutoMigrate.ShouldBeTrue();
    }

    [Fact]
    public void reads_every_amebo_variable()
    {
        var settings = Read(("AMEBO_DSN", "Host=db"), ("AMEBO_DATA_DIR", "/var/lib/amebo"), ("AMEBO_URLS", "http://0.0.0.0:8080"),
            ("AMEBO_ENVELOPE", "2048"), ("AMEBO_BATCH_LIMIT", "50"), ("AMEBO_CHECK_SAMPLE", "25"), ("AMEBO_AUTO_MIGRATE", "FALSE"));

        settings.Dsn.ShouldBe("Host=db");
        settings.DataDir.ShouldBe("/var/lib/amebo");
        settings.Urls.ShouldBe("http://0.0.0.0:8080");
        settings.Envelope.ShouldBe(2048);
        settings.BatchLimit.ShouldBe(50);
        settings.CheckSample.ShouldBe(25);
        settings.AutoMigrate.ShouldBeFalse();
    }

    [Theory]
    [InlineData("AMEBO_ENVELOPE", "lots")]
    [InlineData("AMEBO_ENVELOPE", "0")]
    [InlineData("AMEBO_BATCH_LIMIT", "-3")]
    [InlineData("AMEBO_CHECK_SAMPLE", "-1")]
    [InlineData("AMEBO_AUTO_MIGRATE", "sometimes")]
    public void refuses_a_value_it_cannot_use_with_a_message_naming_it(string key, string value)
    {
        Should.Throw<InvalidSettingException>(() => Read((key, value))).Message.ShouldContain(key);
    }

    [Fact]
    public void accepts_a_postgres_url_as_dsn()
    {
        var builder = new NpgsqlConnectionStringBuilder(
            AmeboDatabase.ToConnectionString("postgres://amebo:p%40ss@db.internal:6543/events?sslmode=disable"));

        builder.Host.ShouldBe("db.internal");
        builder.Port.ShouldBe(6543);
        builder.Username.ShouldBe("amebo");
        builder.Password.ShouldBe("p@ss");
        builder.Database.ShouldBe("events");
        builder.SslMode.ShouldBe(SslMode.Disable);
    }

    [Fact]
    public void accepts_an_npgsql_connection_string_as_dsn()
    {
        var builder = new NpgsqlConnectionStringBuilder(AmeboDatabase.ToConnectionString("Host=localhost;Port=5433;Database=amebo"));

        builder.Port.ShouldBe(5433);
        builder.Database.ShouldBe("amebo");
    }

    [Fact]
    public void refuses_a_dsn_it_cannot_read()
    {
        Should.Throw<InvalidSettingException>(() => AmeboDatabase.ToConnectionString("NotAKey=1")).Message.ShouldContain("AMEBO_DSN");
    }
}
