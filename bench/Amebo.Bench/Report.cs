using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Amebo.Bench;

public sealed record Report(string Markdown, string Json)
{
    public static string ResultsDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Amebo.sln"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? ".", "bench", "results");
    }

    public static Report Build(List<Row> rows, bool quick, int runs, TimeSpan duration, double memoryMb, double kestrelFloor)
    {
        var machine = Machine();
        var commit = Run("git", "rev-parse", "--short", "HEAD");
        var text = new StringBuilder();
        text.AppendLine($"Machine: {machine.Cpu}, {machine.Cores} cores, {machine.MemoryGb:F0} GiB; .NET {Environment.Version}; commit {commit}; " +
            $"{(quick ? "quick" : "full")} run: {runs} run(s) × {duration.TotalSeconds:0} s per scenario; server, PostgreSQL and load generator on the same machine.");
        text.AppendLine();
        text.AppendLine("| scenario | median | min | max | unit | p50 ms | p99 ms | p99.9 ms | floor | ratio to floor |");
        text.AppendLine("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            var latency = row.P50Ms > 0 ? $"{row.P50Ms:F2} | {row.P99Ms:F1} | {row.P999Ms:F1}" : " | | ";
            var floor = row.Floor is { } f ? $"{f:F0} | {row.Median / f:F2}" : " | ";
            var format = row.Unit == "s" ? "F2" : "F0";
            text.AppendLine($"| {row.Scenario} | {row.Median.ToString(format)} | {row.Min.ToString(format)} | {row.Max.ToString(format)} | {row.Unit} | {latency} | {floor} |");
        }
        text.AppendLine();
        text.AppendLine($"Server resident memory after the 64-connection publish load: {memoryMb:F0} MB. Trivial Kestrel floor at 64 connections: {kestrelFloor:F0} req/s.");

        var json = JsonSerializer.Serialize(new
        {
            machine,
            commit,
            dotnet = Environment.Version.ToString(),
            mode = quick ? "quick" : "full",
            runs,
            duration_seconds = duration.TotalSeconds,
            memory_mb = memoryMb,
            rows,
        }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });
        return new Report(text.ToString(), json);
    }

    private static (string Cpu, int Cores, double MemoryGb) Machine()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"
            : "unknown CPU";
        var memory = File.Exists("/proc/meminfo")
            ? double.Parse(File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024 / 1024
            : 0;
        return (cpu, Environment.ProcessorCount, memory);
    }

    private static string Run(string file, params string[] arguments)
    {
        try
        {
            var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in arguments) info.ArgumentList.Add(argument);
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return output.Length > 0 ? output : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
