"""The building blocks of a story body."""

from wagtail import blocks
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    caption = blocks.CharBlock(required=False, max_length=500)
    credit = blocks.CharBlock(required=False, max_length=200)
    alt = blocks.CharBlock(required=False, max_length=250,
                           help_text="Describe the picture for readers who cannot see it. "
                                     "Leave empty only if it is purely decorative.")

    class Meta:
        icon = "image"
        template = "blocks/image_block.html"


class PullQuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock()
    attribution = blocks.CharBlock(required=False, max_length=200)

    class Meta:
        icon = "openquote"
        template = "blocks/pull_quote_block.html"


class ListBlock(blocks.StructBlock):
    ordered = blocks.BooleanBlock(required=False, help_text="Numbered rather than bulleted.")
    items = blocks.ListBlock(blocks.CharBlock(max_length=1000))

    class Meta:
        icon = "list-ul"
        template = "blocks/list_block.html"


class ApprovedEmbedBlock(EmbedBlock):
    """An embed from a provider the site allows (oEmbed providers Wagtail knows)."""

    class Meta:
        icon = "media"
        template = "blocks/embed_block.html"


class ArticleBodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(features=["bold", "italic", "link"],
                                     template="blocks/paragraph_block.html")
    subhead = blocks.CharBlock(max_length=200, template="blocks/subhead_block.html",
                               icon="title")
    image = ImageBlock()
    pull_quote = PullQuoteBlock()
    list = ListBlock()
    embed = ApprovedEmbedBlock()

    class Meta:
        # The block definition is frozen into migrations; keeping it here, named, keeps them
        # small (Wagtail references it by path).
        pass
