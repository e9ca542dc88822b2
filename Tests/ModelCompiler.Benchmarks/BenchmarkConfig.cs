using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace ModelCompiler.Benchmarks;

/// <summary>
/// One short job for every benchmark, run in this process. In process: the default toolchain would generate
/// and build a second project around this one, which means running the generator and the weight targets on
/// 50 MB of models again for each run. Short: 1 launch, 3 warm-up and 10 measured iterations of at least
/// 250 ms each (a slow model runs one call per iteration); a full default job takes tens of minutes here.
/// </summary>
public static class BenchmarkConfig
{
    public static Job ShortInProcess { get; } = Job.Default
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithLaunchCount(1)
        .WithWarmupCount(3)
        .WithIterationCount(10)
        .WithIterationTime(TimeInterval.FromMilliseconds(250))
        .WithId("ShortInProcess");

    public static IConfig Create() => DefaultConfig.Instance
        .AddJob(ShortInProcess)
        .AddDiagnoser(MemoryDiagnoser.Default)
        .AddColumn(new GflopsColumn())
        .AddColumn(StatisticColumn.Median)
        .AddColumn(StatisticColumn.Min)
        .WithOptions(ConfigOptions.JoinSummary | ConfigOptions.DisableLogFile);
}
