namespace ModelCompiler.Fuzz.Mutations;

/// <summary>The InputShape metadata as a user might mistype it: garbage, zeros, negatives, 2^31-1, too many dims, unknown names.</summary>
internal sealed class InputShapeOption : Mutation
{
    private static readonly string[] s_shapes =
    {
        "0", "-1", "1,0,4", "2147483647", "2147483647,2147483647", "99999999999999999999", "1,-3", "1,,2", ",", "", " ",
        "x", "1x3x224x224", "nosuchinput:1,4", "a:1 a:2", ":", "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1",
        "65536,65536", "1,3,100000,100000", "1e3", "0x10", "١,٢",
    };

    public override string Kind => "input-shape";
    public override string Summary => "give the InputShape option a malformed or extreme value";

    public override bool Apply(Subject s, Rng rng)
    {
        s.InputShape = rng.Pick(s_shapes);
        s.InputShapeFixed = true;
        s.Log.Add($"InputShape=\"{s.InputShape}\"");
        return true;
    }
}
