using System;
using System.IO;
using System.Text.Json;

namespace ModelCompiler.Fuzz;

/// <summary>
/// The worker process: reads case indices from standard input, one per line, runs each and answers with one
/// JSON line. Runs with a hard heap limit (set by the supervisor), so that a case that allocates without bound
/// fails with OutOfMemoryException inside this process instead of exhausting the machine.
/// </summary>
internal static class Worker
{
    public static int Run(CampaignSettings settings)
    {
        var corpus = Corpus.Load(settings.SharedRoot, settings.MaxModelBytes);
        var runner = new CaseRunner(settings.TimeLimit, settings.MemoryLimitBytes);
        var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        string? line;
        while ((line = Console.In.ReadLine()) is not null)
        {
            if (!long.TryParse(line, out long index)) continue;
            CaseResult result;
            try
            {
                var c = FuzzCase.Create(settings.Seed, index, corpus, settings.Kinds);
                result = runner.Run(c);
            }
            catch (Exception e)
            {
                // A failure to build the case itself is the harness's fault, reported so that it is not hidden.
                result = new CaseResult { Index = index, Outcome = "harness-error", Message = e.ToString() };
            }
            stdout.WriteLine(JsonSerializer.Serialize(result, Json.Options));
        }
        return 0;
    }
}

internal static class Json
{
    public static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
}
