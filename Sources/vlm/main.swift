print("vlm: under construction")
