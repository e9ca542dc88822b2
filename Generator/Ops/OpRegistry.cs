using System;
using System.Collections.Generic;
using System.Linq;

namespace ModelCompiler.Ops;

/// <summary>All op schemas, found once by reflection over this assembly, keyed by (domain, op type).</summary>
internal static class OpRegistry
{
    private static readonly Lazy<Dictionary<(string Domain, string OpType), OpSchema>> s_schemas = new(Build);

    public static OpSchema? Find(string domain, string opType) =>
        s_schemas.Value.TryGetValue((domain, opType), out var s) ? s : null;

    public static IEnumerable<OpSchema> All => s_schemas.Value.Values.OrderBy(s => s.Domain, StringComparer.Ordinal).ThenBy(s => s.OpType, StringComparer.Ordinal);

    private static Dictionary<(string, string), OpSchema> Build()
    {
        var result = new Dictionary<(string, string), OpSchema>();
        var types = LoadableTypes.Get()
            .Where(t => !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal);
        foreach (var t in types)
        {
            IEnumerable<OpSchema> schemas;
            if (typeof(OpSchema).IsAssignableFrom(t)) schemas = new[] { (OpSchema)Activator.CreateInstance(t)! };
            else if (typeof(IOpFamily).IsAssignableFrom(t)) schemas = ((IOpFamily)Activator.CreateInstance(t)!).Schemas;
            else continue;
            foreach (var s in schemas)
            {
                var key = (s.Domain, s.OpType);
                if (result.ContainsKey(key)) throw new InvalidOperationException($"two schemas for {s.Domain}:{s.OpType}");
                result.Add(key, s);
            }
        }
        return result;
    }
}
