using System.Diagnostics;

namespace Amebo.Tests.Hosting;

/// <summary>
/// The pre-generated Wolverine handlers in src/Amebo.Platform/Internal/Generated must be exactly
/// what the current endpoints generate; otherwise a handler could skip a new check. Fix with `just codegen`.
/// </summary>
public sealed class when_checking_generated_code : IDisposable
{
    private readonly string _root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"amebo-codegen-{Guid.NewGuid():N}")).FullName;

    [Fact]
    public async Task the_committed_handlers_match_what_the_endpoints_generate()
    {
        var repository = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(repository.FullName, "Amebo.sln"))) repository = repository.Parent!;
        var committed = Path.Combine(repository.FullName, "src", "Amebo.Platform", "Internal", "Generated");

        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "Amebo.Platform.dll"), "codegen", "write", "--contentroot", _root })
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment.Remove("AMEBO_DSN");
        info.Environment["AMEBO_DATA_DIR"] = Path.Combine(_root, "data");
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.ShouldBe(0, await output + await error);

        var generated = Path.Combine(_root, "Internal", "Generated");
        string[] Files(string dir) => Directory.GetFiles(dir, "*.cs", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir, f)).Order().ToArray();
        Files(committed).ShouldBe(Files(generated), "run `just codegen` and commit Internal/Generated");
        foreach (var file in Files(generated))
        {
            (await File.ReadAllTextAsync(Path.Combine(committed, file))).ShouldBe(
                await File.ReadAllTextAsync(Path.Combine(generated, file)), $"{file} is stale: run `just codegen` and commit Internal/Generated");
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}
