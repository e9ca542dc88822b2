using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Ml;

/// <summary>
/// TreeEnsemble's attributes checked and flattened into the tables <c>MlOps.TreeEnsemble</c> reads: a reference
/// is a node index or ~leaf; per node 7 ints (feature, mode, true and false references, NaN goes true, first set
/// member, member count) and its split. Set-membership nodes take their sets from membership_values (NaN-separated)
/// in the order a depth-first walk from the roots, true branch first, meets them (as ONNX's reference). Throws
/// <see cref="ModelError"/> for inconsistent attributes, references out of range, and cycles.
/// </summary>
internal sealed class TreeTable
{
    public int[] Roots = Array.Empty<int>();
    public int[] Nodes = Array.Empty<int>();
    public double[] Splits = Array.Empty<double>();
    public double[] Members = Array.Empty<double>();
    public int[] LeafTargets = Array.Empty<int>();
    public double[] LeafWeights = Array.Empty<double>();

    private const int Stride = 7, Member = 6;

    public static TreeTable Build(Node node, int features, int targets)
    {
        long[] Required(string name) => node.GetInts(name) ?? throw new ModelError($"TreeEnsemble needs the attribute '{name}'");
        double[] Doubles(string name, bool required)
        {
            var t = node.GetTensor(name);
            if (t is null) return required ? throw new ModelError($"TreeEnsemble needs the tensor attribute '{name}'") : Array.Empty<double>();
            return Enumerable.Range(0, (int)t.ElementCount).Select(i => t.GetDouble(i)).ToArray();
        }

        long[] featureIds = Required("nodes_featureids"), trueIds = Required("nodes_truenodeids"), falseIds = Required("nodes_falsenodeids");
        long[] trueLeafs = Required("nodes_trueleafs"), falseLeafs = Required("nodes_falseleafs"), roots = Required("tree_roots");
        long[] leafTargets = Required("leaf_targetids");
        double[] splits = Doubles("nodes_splits", true), leafWeights = Doubles("leaf_weights", true), modes = Doubles("nodes_modes", true);
        double[] membership = Doubles("membership_values", false);
        long[] missing = node.GetInts("nodes_missing_value_tracks_true") ?? new long[featureIds.Length];
        int n = featureIds.Length;
        if (new[] { trueIds.Length, falseIds.Length, trueLeafs.Length, falseLeafs.Length, splits.Length, modes.Length, missing.Length }.Any(l => l != n))
            throw new ModelError("the nodes_* attributes must all have one entry per node");
        if (leafWeights.Length != leafTargets.Length) throw new ModelError("leaf_weights and leaf_targetids must have one entry per leaf");
        if (roots.Length == 0) throw new ModelError("tree_roots is empty");
        foreach (long t in leafTargets)
            if (t < 0 || t >= targets) throw new ModelError($"leaf_targetids has {t}, outside [0, n_targets = {targets})");

        var table = new TreeTable
        {
            Nodes = new int[n * Stride],
            Splits = splits,
            LeafTargets = leafTargets.Select(t => (int)t).ToArray(),
            LeafWeights = leafWeights,
        };
        int Reference(long id, bool leaf, string what)
        {
            long count = leaf ? leafWeights.Length : n;
            if (id < 0 || id >= count) throw new ModelError($"{what} refers to {(leaf ? "leaf" : "node")} {id}, outside [0, {count})");
            return leaf ? ~(int)id : (int)id;
        }
        for (int i = 0; i < n; i++)
        {
            if (featureIds[i] < 0 || featureIds[i] >= features) throw new ModelError($"node {i} reads feature {featureIds[i]}, but X has {features}");
            if (modes[i] is < 0 or > Member || modes[i] != Math.Floor(modes[i])) throw new ModelError($"node {i} has mode {modes[i]}, not 0..6");
            int[] row = { (int)featureIds[i], (int)modes[i], Reference(trueIds[i], trueLeafs[i] != 0, $"node {i}'s true branch"),
                Reference(falseIds[i], falseLeafs[i] != 0, $"node {i}'s false branch"), missing[i] != 0 ? 1 : 0, 0, 0 };
            Array.Copy(row, 0, table.Nodes, i * Stride, Stride);
        }

        // Roots: a root whose two branches are the same leaf is that leaf (the degenerate one-leaf tree).
        table.Roots = roots.Select(r =>
        {
            int root = Reference(r, false, "tree_roots");
            return trueLeafs[root] != 0 && falseLeafs[root] != 0 && trueIds[root] == falseIds[root] ? Reference(r, true, "a one-leaf tree") : root;
        }).ToArray();
        table.Members = table.AssignSets(membership);
        return table;
    }

    /// <summary>Walks every tree depth-first (true branch first), rejecting cycles, and gives set-membership nodes their sets.</summary>
    private double[] AssignSets(double[] membership)
    {
        var members = new List<double>();
        int next = 0;
        var state = new byte[Splits.Length]; // 0 unseen, 1 on the current path, 2 done
        void Visit(int reference)
        {
            if (reference < 0) return;
            if (state[reference] == 1) throw new ModelError($"the trees have a cycle through node {reference}");
            if (state[reference] == 2) return;
            state[reference] = 1;
            int at = reference * Stride;
            if (Nodes[at + 1] == Member)
            {
                Nodes[at + 5] = members.Count;
                while (next < membership.Length && !double.IsNaN(membership[next])) members.Add(membership[next++]);
                if (next >= membership.Length) throw new ModelError("membership_values has fewer NaN-terminated sets than there are set-membership nodes");
                next++;
                Nodes[at + 6] = members.Count - Nodes[at + 5];
            }
            Visit(Nodes[at + 2]);
            Visit(Nodes[at + 3]);
            state[reference] = 2;
        }
        foreach (int root in Roots) Visit(root);
        return members.ToArray();
    }
}
