def test_story_page_renders_in_seed_order(client, world, make_story):
    story = make_story(world, "A headline", dek="A dek line")
    html = client.get(story.url).content.decode()
    html = html[html.index("<main"):]
    order = [html.index(s) for s in ("<h1", "A dek line", "Body of story", ">Popular<",
                                     ">Spotlight<", ">More from World<", ">Comments<",
                                     "See what people are discussing")]
    assert order == sorted(order)
